// NetSentinel gateway console, on @ns/ws-client (served beside this file from the package's browser
// build): the client owns the protocol — auth frame, resubscribe with `since`, dedup by seq, backoff,
// app-level ping — and the page only renders. Every value from the network is rendered with
// textContent, never as HTML.
import { CHANNEL_NAMES, createClient } from './ws-client.js';

// The registry's channel names, from the contracts' wire entry bundled into the client.
const ALL_CHANNELS = CHANNEL_NAMES;
const DEFAULT_CHANNELS = new Set(['threats', 'alerts', 'status', 'system']);
const FILTER_HINTS = {
  threats: '{"min_score": 7, "levels": ["high", "critical"]}',
  alerts: '{"severities": ["critical"], "tags": ["ssh"]}',
  status: '{"components": ["event_processor"]}',
  metrics: '{"components": ["event_processor"]}',
  events: '{"dst_ports": [22, 2222], "logtypes": [4002]}',
  correlations: '{"patterns": ["ssh_brute_force"], "min_score": 0.5}',
  system: '(no filter fields)',
};
const MAX_ROWS = 500;
/** Why the client stopped for good, by close code (the client retries everything else itself). */
const STOP_REASONS = {
  1008: 'origin not allowed (add this page\'s origin to NS_ALLOWED_ORIGINS)',
  4001: 'the gateway refused the token (missing, invalid or expired)',
  4003: 'the token lacks the permission for a channel',
};

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
};

const state = {
  client: null,
  phase: 'closed',
  channels: new Map(), // name -> { selected, filter, live, error, off, ui }
  /** Cursors of the last client, so pressing Connect again resumes instead of starting over. */
  cursors: {},
  paused: false,
  pending: [],
  received: 0,
  search: '',
  heads: new Map(), // name -> { epoch, seq, subscribers, rate, t }
  components: new Map(),
};

// ---------------------------------------------------------------------------------------------
// Connection: one @ns/ws-client per Connect press

function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** The token field, read each time the client asks: a token pasted later is used at the next refresh or retry. */
function currentToken() {
  return $('token').value.trim() || undefined;
}

function setPhase(phase, detail) {
  state.phase = phase;
  const s = $('state');
  s.textContent = detail ? `${phase} · ${detail}` : phase;
  s.className = `state state-${phase}`;
  s.dataset.state = phase;
}

function connect() {
  closeClient();
  hideNotice();
  const client = createClient({ url: wsUrl(), getToken: currentToken });
  state.client = client;
  client.on('state', (change) => {
    if (client === state.client) onState(change);
  });
  client.on('welcome', (w) => showPrincipal(w.principal));
  client.on('authenticated', (a) => showPrincipal(a.principal));
  client.on('subscribed', (m) => {
    const c = state.channels.get(m.channel);
    if (!c) return;
    c.live = true;
    c.error = '';
    renderChannels();
  });
  client.on('gap', onGap);
  client.on('error', onClientError);
  setPhase(client.state);
  for (const [name, c] of state.channels) if (c.selected) subscribe(name, state.cursors[name]);
}

function disconnect() {
  closeClient();
  setPhase('closed');
}

function closeClient() {
  const client = state.client;
  if (!client) return;
  state.cursors = client.cursors();
  state.client = null;
  client.close();
  for (const c of state.channels.values()) {
    c.off = null;
    c.live = false;
  }
  renderChannels();
}

function onState({ state: phase, closeCode, delayMs }) {
  let detail = '';
  if (phase === 'reconnecting') {
    const retry = delayMs === undefined ? '' : delayMs === 0 ? 'retrying now' : `retry in ${(delayMs / 1000).toFixed(1)} s`;
    detail = [closeCode, retry].filter((part) => part !== undefined && part !== '').join(' · ');
  } else if (phase === 'closed' && closeCode !== undefined) {
    detail = String(closeCode);
  }
  setPhase(phase, detail);
  if (phase === 'open') clearNotice('main'); // gap notices stay until dismissed
  else {
    for (const c of state.channels.values()) c.live = false;
    renderChannels();
  }
}

function onGap(gap) {
  const what =
    gap.reason === 'epoch_changed'
      ? 'the history restarted (new epoch), earlier events may be missing'
      : `events after #${gap.since ? gap.since.seq : '?'} could not be replayed (the gateway's history moved on or restarted)`;
  // Keyed by channel: a restart loses every channel's history at once, and each one should stay visible.
  notice(`${gap.channel}: ${what}; live again from #${gap.seq}.`, false, `gap:${gap.channel}`);
}

function onClientError(err) {
  const c = err.channel ? state.channels.get(err.channel) : undefined;
  if (c && err.source === 'server') {
    // The gateway refused this subscription (permission, filter): stop asking on every reconnect.
    c.error = `${err.code}: ${err.message}`;
    if (c.off) c.off();
    c.off = null;
    c.live = false;
    if (err.code === 'forbidden' || err.code === 'unauthorized') c.selected = false;
    renderChannels();
    return;
  }
  switch (err.code) {
    case 'closed': {
      const why = STOP_REASONS[err.closeCode] || err.message;
      const hint = err.closeCode === 1008 ? '' : ' Paste a token and press Connect.';
      return notice(`Disconnected: ${why}.${hint}`, true);
    }
    case 'get_token_failed':
      return notice('The token expires soon: paste a new one in the Token field (it is used at the next refresh).');
    case 'handler_failed':
    case 'listener_failed':
      return console.error(err); // a bug in this page, not the gateway
    default:
      if (err.source === 'server') notice(`${err.code}: ${err.message}`, true);
      // Client-side noise (pong_timeout, connect_timeout …) already shows as the reconnecting state.
      return undefined;
  }
}

function subscribe(name, since) {
  const c = state.channels.get(name);
  if (!state.client || !c) return;
  if (c.off) c.off();
  c.error = '';
  const options = {};
  if (c.filter) options.filter = c.filter;
  if (since) options.since = since; // resume: the gateway replays what we missed
  c.off = state.client.subscribe(name, options, onEvent);
}

function unsubscribe(name) {
  const c = state.channels.get(name);
  if (c.off) c.off();
  c.off = null;
  c.live = false;
  renderChannels();
}

function showPrincipal(p) {
  const text = p ? `as ${p.username || p.id} (${p.permissions.join(', ') || 'no permissions'})` : 'anonymous';
  $('principal').textContent = text;
  $('principal').title = text; // the header may cut it short
}

// ---------------------------------------------------------------------------------------------
// Events (the client delivers each once, in order, per channel)

function onEvent(e) {
  state.received++;
  if (e.type === 'status.update') trackComponent(e.data);
  if (state.paused) {
    state.pending.push(e);
    if (state.pending.length > MAX_ROWS) state.pending.shift();
  } else addRow(e, true);
  renderCounts();
}

function levelOf(e) {
  const d = e.data || {};
  return d.threat_level || d.severity || d.level || d.status || '';
}

// A threat without an address (contracts 0.2.0: source_ip null) shows what the sensor reported.
const sourceOf = (d) => (d.source_ip != null ? d.source_ip : `${d.source != null ? d.source : '?'} (no IP)`);

function summaryOf(e) {
  const d = e.data || {};
  switch (e.type) {
    case 'threat.new':
      return `${sourceOf(d)} score ${d.threat_score}${d.event_type ? ` · ${d.event_type}` : ''}${d.dst_port !== undefined ? ` · port ${d.dst_port}` : ''}`;
    case 'alert.new':
      return `[${d.id}] ${d.message}${d.source_ip ? ` · ${d.source_ip}` : ''}`;
    case 'alert.acknowledged':
    case 'alert.resolved':
      return `${d.id} by ${d.by}${d.note ? ` · ${d.note}` : ''}`;
    case 'status.update':
      return `${d.component}: ${d.status}${d.message ? ` · ${d.message}` : ''}`;
    case 'metrics.update':
      return `${d.component} · ${Object.entries(d.metrics || {}).slice(0, 5).map(([k, v]) => `${k}=${Math.round(v * 100) / 100}`).join(' ')}`;
    case 'event.raw': {
      const user = d.logdata && d.logdata.USERNAME ? ` · user ${d.logdata.USERNAME}` : '';
      return `${d.src_host}${d.src_port !== undefined ? `:${d.src_port}` : ''} → ${d.dst_host}:${d.dst_port} · logtype ${d.logtype}${user}`;
    }
    case 'correlation.new':
      return `${d.pattern} from ${d.source_ip} · score ${d.correlation_score} · ${d.event_count} events`;
    case 'system.notice':
      return `${d.message}${d.code ? ` (${d.code})` : ''}`;
    default:
      return JSON.stringify(d).slice(0, 200);
  }
}

function addRow(e, fresh) {
  const tr = el('tr', fresh ? 'fresh' : '');
  const level = levelOf(e);
  if (level === 'critical' || level === 'error' || level === 'unhealthy') tr.classList.add('row-critical');
  tr.dataset.testid = 'event-row';
  tr.dataset.channel = e.channel;
  tr.dataset.type = e.type;
  const time = new Date((e.ts || Date.now() / 1000) * 1000);
  tr.append(
    el('td', 'dim', `${time.toLocaleTimeString([], { hour12: false })}.${String(time.getMilliseconds()).padStart(3, '0')}`),
    el('td', '', e.channel),
    el('td', 'dim', e.seq),
    el('td', '', e.type),
  );
  const lv = el('td');
  if (level) lv.append(el('span', `badge level-${level}`, level));
  const summary = summaryOf(e);
  tr.append(lv, el('td', 'summary', summary));
  tr.dataset.search = `${e.type} ${e.channel} ${level} ${summary}`.toLowerCase();
  tr.hidden = state.search !== '' && !tr.dataset.search.includes(state.search);
  const body = $('events');
  body.prepend(tr);
  while (body.childElementCount > MAX_ROWS) body.lastElementChild.remove();
}

function renderCounts() {
  const paused = state.paused ? ` · paused, ${state.pending.length} waiting` : '';
  $('counts').textContent = `${state.received} received${paused}`;
}

function trackComponent(d) {
  state.components.set(d.component, d.status);
  const ul = $('components');
  ul.replaceChildren();
  for (const [name, status] of [...state.components].sort()) {
    const li = el('li');
    li.append(el('span', '', name), el('span', `health-${status}`, status));
    ul.append(li);
  }
}

// ---------------------------------------------------------------------------------------------
// Channels panel: selection, filters, rates (seq deltas) and subscriber counts from GET /v1/channels

function buildChannels(list) {
  const ul = $('channels');
  ul.replaceChildren();
  for (const info of list) {
    const name = info.name;
    const c = state.channels.get(name) || { selected: DEFAULT_CHANNELS.has(name), filter: undefined, live: false, error: '', off: null };
    state.channels.set(name, c);
    const li = el('li');
    li.dataset.channel = name;
    const row = el('div', 'row');
    const box = el('input');
    box.type = 'checkbox';
    box.checked = c.selected;
    box.id = `ch-${name}`;
    box.addEventListener('change', () => {
      c.selected = box.checked;
      if (c.selected) subscribe(name);
      else unsubscribe(name);
    });
    const label = el('label', 'name', name);
    label.htmlFor = box.id;
    row.append(box, label);
    if (info.read_permission) row.append(el('span', 'lock', info.read_permission));
    const stats = el('span', 'stats', '');
    row.append(stats);
    const filter = el('input', 'filter');
    filter.placeholder = FILTER_HINTS[name] || '{}';
    filter.spellcheck = false;
    filter.disabled = name === 'system';
    filter.setAttribute('aria-label', `${name} filter`);
    filter.addEventListener('change', () => {
      const text = filter.value.trim();
      try {
        c.filter = text === '' ? undefined : JSON.parse(text);
        filter.classList.remove('invalid');
      } catch {
        filter.classList.add('invalid');
        return;
      }
      // The gateway keeps one subscription per channel: a new filter is a new subscription.
      if (c.selected) {
        unsubscribe(name);
        subscribe(name);
      }
    });
    const err = el('div', 'err');
    li.append(row, filter, err);
    ul.append(li);
    c.ui = { stats, err, box, li };
  }
  renderChannels();
}

function renderChannels() {
  for (const [name, c] of state.channels) {
    if (!c.ui) continue;
    c.ui.box.checked = c.selected;
    c.ui.err.textContent = c.error || '';
    c.ui.li.dataset.live = c.live ? 'true' : 'false';
    const h = state.heads.get(name);
    if (h) c.ui.stats.textContent = `${h.rate.toFixed(1)}/s · ${h.subscribers} subs · #${h.seq}${c.live ? ' · live' : ''}`;
  }
}

async function pollChannels() {
  try {
    const token = currentToken();
    const res = await fetch('/v1/channels', { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!res.ok) throw new Error(String(res.status));
    const { channels } = await res.json();
    if (state.channels.size === 0 || ![...state.channels.keys()].every((n) => channels.some((c) => c.name === n))) buildChannels(channels);
    const now = performance.now();
    for (const ch of channels) {
      const prev = state.heads.get(ch.name);
      const dt = prev ? (now - prev.t) / 1000 : 0;
      const rate = prev && prev.epoch === ch.epoch && dt > 0 ? Math.max(0, ch.seq - prev.seq) / dt : 0;
      // Smoothed so a bursty publisher does not make the number jump every poll.
      const shown = prev ? prev.rate * 0.5 + rate * 0.5 : rate;
      state.heads.set(ch.name, { epoch: ch.epoch, seq: ch.seq, subscribers: ch.subscribers, rate: shown, t: now });
    }
    renderChannels();
  } catch {
    if (state.channels.size === 0) buildChannels(ALL_CHANNELS.map((name) => ({ name, read_permission: null })));
  }
}

// ---------------------------------------------------------------------------------------------
// Notices and controls

/** Shown messages by key (one per channel gap, one for everything else), newest first. */
const notices = new Map();

function notice(text, isError, key = 'main') {
  notices.delete(key);
  notices.set(key, { text, isError });
  renderNotices();
}

function renderNotices() {
  const n = $('notice');
  const shown = [...notices.values()].reverse();
  n.replaceChildren(...shown.map((m) => el('div', m.isError ? 'error' : '', m.text)));
  n.className = shown.some((m) => m.isError) ? 'notice error' : 'notice';
  n.hidden = shown.length === 0;
}

function clearNotice(key) {
  if (notices.delete(key)) renderNotices();
}

function hideNotice() {
  notices.clear();
  renderNotices();
}

function init() {
  // A token may arrive in the fragment (never sent to the server); drop it from the address bar.
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    $('token').value = decodeURIComponent(m[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  $('auth').addEventListener('submit', (ev) => {
    ev.preventDefault();
    connect();
  });
  $('disconnect').addEventListener('click', disconnect);
  $('notice').addEventListener('click', hideNotice);
  $('pause').addEventListener('click', () => {
    state.paused = !state.paused;
    $('pause').setAttribute('aria-pressed', String(state.paused));
    $('pause').textContent = state.paused ? 'Resume' : 'Pause';
    if (!state.paused) for (const e of state.pending.splice(0)) addRow(e, false);
    renderCounts();
  });
  $('clear').addEventListener('click', () => {
    $('events').replaceChildren();
    state.received = 0;
    renderCounts();
  });
  $('search').addEventListener('input', () => {
    state.search = $('search').value.trim().toLowerCase();
    for (const tr of $('events').children) tr.hidden = state.search !== '' && !tr.dataset.search.includes(state.search);
  });
  renderCounts();
  pollChannels().then(connect);
  setInterval(pollChannels, 2000);
}

init();
