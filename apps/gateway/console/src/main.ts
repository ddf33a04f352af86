import type { Principal } from '@ns/contracts';
import type { NsClientError, StateChange } from '@ns/ws-client';
import { initDetail } from './detail.js';
import { byId, el } from './dom.js';
import { Feed } from './feed.js';
import { closeMeaning } from './gateway.js';
import { AlertsPanel } from './panels/alerts.js';
import { MetricsPanel } from './panels/metrics.js';
import { StatusPanel } from './panels/status.js';
import { TailPanel } from './panels/tail.js';
import { ThreatsPanel } from './panels/threats.js';
import { loadPrefs, savePrefs } from './prefs.js';
import { PresenceView } from './presence.js';
import { Sidebar } from './sidebar.js';
import './style.css';

// The NetSentinel console: panels over @ns/ws-client. The client owns the protocol (auth frame,
// resubscribe with `since`, dedup, backoff, ping); the page renders, and persists the analyst's
// choices (channels, filters, tab, stale-alert minutes) in localStorage.

const TABS = ['threats', 'alerts', 'status', 'metrics', 'tail'] as const;
type Tab = (typeof TABS)[number];

const prefs = loadPrefs();
const save = () => savePrefs({ ...prefs, channels: sidebar.prefs() });

const threats = new ThreatsPanel();
const alerts = new AlertsPanel(prefs.staleMinutes, (minutes) => {
  prefs.staleMinutes = minutes;
  save();
});
const status = new StatusPanel();
const metrics = new MetricsPanel();
const tail = new TailPanel();

// ---------------------------------------------------------------------------------------------
// Notices: one per key (a channel's gap, history trouble, the connection), newest first

const notices = new Map<string, { text: string; isError: boolean }>();
function renderNotices(): void {
  const box = byId('notice');
  const shown = [...notices.values()].reverse();
  box.replaceChildren(...shown.map((m) => el('div', m.isError ? 'error' : '', m.text)));
  box.className = shown.some((m) => m.isError) ? 'notice error' : 'notice';
  box.hidden = shown.length === 0;
}
function notice(text: string, isError: boolean, key = 'main'): void {
  notices.delete(key);
  notices.set(key, { text, isError });
  renderNotices();
}
function clearNotice(key: string): void {
  if (notices.delete(key)) renderNotices();
}

// ---------------------------------------------------------------------------------------------
// Connection state and principal

function showState({ state, closeCode, delayMs, transport }: StateChange): void {
  let detail = '';
  if (state === 'reconnecting') {
    const retry = delayMs === undefined ? '' : delayMs === 0 ? 'retrying now' : `retry in ${(delayMs / 1000).toFixed(1)} s`;
    detail = [closeCode === undefined ? '' : String(closeCode), retry].filter((p) => p !== '').join(' · ');
  } else if (state === 'closed' && closeCode !== undefined) detail = String(closeCode);
  const s = byId('state');
  s.textContent = detail === '' ? state : `${state} · ${detail}`;
  s.className = `state state-${state}`;
  s.dataset.state = state;
  const t = byId('transport');
  t.textContent = transport === 'sse' ? 'via Server-Sent Events' : transport === 'websocket' ? 'via WebSocket' : '';
  t.dataset.transport = transport ?? '';
  s.title = closeCode === undefined ? '' : (closeMeaning(closeCode) ?? '');
  if (state === 'open') clearNotice('main');
}

function showPrincipal(p: Principal | null): void {
  const text = p === null ? 'anonymous' : `as ${p.username ?? p.id} (${p.permissions.join(', ') || 'no permissions'})`;
  const el_ = byId('principal');
  el_.textContent = text;
  el_.title = text;
  alerts.principal(p);
  presence.setAdmin(p?.permissions.includes('admin') === true);
}

function onFatal(err: NsClientError): void {
  switch (err.code) {
    case 'closed': {
      // Why the client stopped for good, from the contracts' close-code table.
      const why = closeMeaning(err.closeCode) ?? err.message;
      const hint = err.closeCode === 1008 ? ' Add this page\'s origin to NS_ALLOWED_ORIGINS.' : ' Paste a token and press Connect.';
      notice(`Disconnected (${err.closeCode ?? '?'}): ${why}${hint}`, true);
      return;
    }
    case 'get_token_failed':
      notice('The token expires soon: paste a new one in the Token field (it is used at the next refresh).', false);
      return;
    case 'handler_failed':
    case 'listener_failed':
      console.error(err); // a bug in this page, not the gateway
      return;
    default:
      if (err.source === 'server') notice(`${err.code}: ${err.message}`, true);
    // Client-side trouble (pong_timeout, connect_timeout …) already shows as the reconnecting state.
  }
}

// ---------------------------------------------------------------------------------------------
// The feed and the channel list

const sidebar = new Sidebar(prefs, (c, what) => {
  save();
  if (what === 'filter' || c.selected) void feed.start(c);
  else feed.stop(c);
});
const presence = new PresenceView((name) => sidebar.slot(name));
const feed = new Feed(sidebar, {
  event(e, live) {
    tail.add(e, live);
    if (e.channel === 'threats') threats.add(e, live);
    else if (e.channel === 'alerts') alerts.add(e);
    else if (e.channel === 'status') status.add(e);
    else if (e.channel === 'metrics') metrics.add(e);
  },
  state: showState,
  principal: showPrincipal,
  notice,
  clearNotice,
  fatal: onFatal,
});

// ---------------------------------------------------------------------------------------------
// Tabs

function selectTab(tab: Tab): void {
  for (const t of TABS) {
    const button = byId(`tab-${t}`);
    button.setAttribute('aria-selected', String(t === tab));
    button.tabIndex = t === tab ? 0 : -1;
    byId(`panel-${t}`).hidden = t !== tab;
  }
  if (tab === 'threats') threats.show();
  if (tab === 'metrics') metrics.show();
  else metrics.hide();
  prefs.tab = tab;
  save();
}

function init(): void {
  // A token may arrive in the fragment (never sent to the server); drop it from the address bar.
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m !== null) {
    byId<HTMLInputElement>('token').value = decodeURIComponent(m[1] as string);
    history.replaceState(null, '', location.pathname + location.search);
  }
  byId('auth').addEventListener('submit', (ev) => {
    ev.preventDefault();
    notices.clear();
    renderNotices();
    feed.connect();
  });
  byId('disconnect').addEventListener('click', () => {
    feed.disconnect();
    showState({ state: 'closed' } as StateChange);
  });
  byId('notice').addEventListener('click', () => {
    notices.clear();
    renderNotices();
  });
  for (const t of TABS) byId(`tab-${t}`).addEventListener('click', () => selectTab(t));
  byId('tabs').addEventListener('keydown', (ev) => {
    // Arrow keys move between tabs (the WAI-ARIA tabs pattern).
    const i = TABS.indexOf(prefs.tab as Tab);
    const next = ev.key === 'ArrowRight' ? i + 1 : ev.key === 'ArrowLeft' ? i - 1 : null;
    if (next === null) return;
    const tab = TABS[(next + TABS.length) % TABS.length] as Tab;
    selectTab(tab);
    byId(`tab-${tab}`).focus();
  });
  initDetail();
  selectTab(TABS.includes(prefs.tab as Tab) ? (prefs.tab as Tab) : 'threats');
  showPrincipal(null);
  feed.connect();

  const heads = new Map<string, { seq: number; t: number }>();
  const poll = () => Promise.all([feed.poll(heads).catch(() => undefined), presence.refresh()]);
  void poll();
  setInterval(poll, 2000);
  setInterval(() => {
    threats.tick();
    alerts.tick();
    status.tick();
  }, 1000);
  window.addEventListener('resize', () => {
    if (prefs.tab === 'threats') threats.show();
  });
}

init();
