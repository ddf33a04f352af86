// NetSentinel gateway console: a dependency-free client of the WebSocket protocol (DESIGN §5).
// Every value from the network is rendered with textContent, never as HTML.

const ALL_CHANNELS = ['threats', 'alerts', 'status', 'metrics', 'events', 'correlations', 'system'];
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
const STOP_CODES = new Set([1008, 4001, 4003]); // retrying cannot help: bad origin or credentials

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
};

const state = {
  ws: null,
  phase: 'closed',
  wanted: false, // the user wants a connection (reconnect after drops)
  token: '',
  attempt: 0,
  retryTimer: 0,
  pingTimer: 0,
  nextId: 1,
  channels: new Map(), // name -> { selected, filter, ui }
  cursors: new Map(), // name -> { epoch, seq }
  paused: false,
  pending: [],
  received: 0,
  search: '',
  heads: new Map(), // name -> { epoch, seq, t }
  components: new Map(),
};

// ---------------------------------------------------------------------------------------------
// Connection

function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

function setPhase(phase, detail) {
  state.phase = phase;
  const s = $('state');
  s.textContent = detail ? `${phase} · ${detail}` : phase;
  s.className = `state state-${phase}`;
  s.dataset.state = phase;
}

function connect() {
  clearTimeout(state.retryTimer);
  state.wanted = true;
  if (state.ws) state.ws.close(1000);
  setPhase(state.attempt === 0 ? 'connecting' : 'reconnecting');
  const ws = new WebSocket(wsUrl(), 'ns.v1');
  state.ws = ws;
  ws.onmessage = (m) => onFrame(ws, m.data);
  ws.onclose = (ev) => onClose(ws, ev);
}

function disconnect() {
  state.wanted = false;
  clearTimeout(state.retryTimer);
  clearInterval(state.pingTimer);
  if (state.ws) state.ws.close(1000, 'bye');
  state.ws = null;
  setPhase('closed');
}

function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
}

function onClose(ws, ev) {
  if (ws !== state.ws) return;
  clearInterval(state.pingTimer);
  state.ws = null;
  for (const c of state.channels.values()) c.live = false;
  renderChannels();
  if (!state.wanted) return setPhase('closed');
  if (STOP_CODES.has(ev.code)) {
    state.wanted = false;
    setPhase('closed', `${ev.code}`);
    const why = ev.code === 1008 ? 'this origin is not allowed (NS_ALLOWED_ORIGINS)' : ev.reason || 'credentials refused';
    return notice(`Disconnected: ${why}. Paste a token and press Connect.`, true);
  }
  // 1001 (gateway restarting) and 4008 (slow consumer) resume at once; everything else backs off.
  const quick = ev.code === 1001 || ev.code === 4008;
  const base = quick ? 250 : Math.min(30000, 500 * 2 ** state.attempt);
  const delay = Math.round(base / 2 + Math.random() * (base / 2));
  state.attempt++;
  setPhase('reconnecting', `${ev.code} · retry in ${(delay / 1000).toFixed(1)} s`);
  state.retryTimer = setTimeout(connect, delay);
}

function onFrame(ws, text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return;
  }
  switch (msg.type) {
    case 'welcome':
      state.attempt = 0;
      showPrincipal(msg.principal);
      clearInterval(state.pingTimer);
      // Browsers cannot send protocol pings; the app-level ping keeps proxies from idling us out.
      state.pingTimer = setInterval(() => send({ type: 'ping' }), 20000);
      if (state.token) send({ type: 'auth', id: 'auth', token: state.token });
      else ready();
      return;
    case 'authenticated':
      showPrincipal(msg.principal);
      if (state.phase !== 'open') ready();
      return;
    case 'auth_expiring':
      return notice(`Token expires at ${new Date(msg.expires_at * 1000).toLocaleTimeString()}: paste a new one and press Connect.`);
    case 'subscribed':
      return onSubscribed(msg);
    case 'unsubscribed':
    case 'pong':
      return;
    case 'error':
      return onError(msg);
    default:
      if (typeof msg.channel === 'string' && typeof msg.seq === 'number') onEvent(msg);
  }
}

function ready() {
  setPhase('open');
  hideNotice();
  for (const [name, c] of state.channels) if (c.selected) subscribe(name);
}

function subscribe(name) {
  const c = state.channels.get(name);
  const msg = { type: 'subscribe', id: `sub:${name}:${state.nextId++}`, channel: name };
  if (c.filter) msg.filter = c.filter;
  const cursor = state.cursors.get(name);
  if (cursor) msg.since = cursor; // resume: the gateway replays what we missed
  c.error = '';
  send(msg);
}

function unsubscribe(name) {
  send({ type: 'unsubscribe', id: `unsub:${name}:${state.nextId++}`, channel: name });
  state.channels.get(name).live = false;
  renderChannels();
}

function onSubscribed(msg) {
  const c = state.channels.get(msg.channel);
  if (!c) return;
  c.live = true;
  const cursor = state.cursors.get(msg.channel);
  if (cursor && !msg.recovered) notice(`${msg.channel}: some events could not be replayed (history moved on); showing live events from seq ${msg.seq}.`);
  // A new epoch voids our seqs: accept whatever follows (replay first, then live).
  if (cursor && cursor.epoch !== msg.epoch) state.cursors.delete(msg.channel);
  renderChannels();
}

function onError(msg) {
  const m = /^sub:([a-z]+):/.exec(msg.id || '');
  if (m && state.channels.has(m[1])) {
    const c = state.channels.get(m[1]);
    c.error = `${msg.code}: ${msg.message}`;
    if (msg.code === 'forbidden' || msg.code === 'unauthorized') c.selected = false;
    renderChannels();
    return;
  }
  notice(`${msg.code}: ${msg.message}`, true);
}

function showPrincipal(p) {
  $('principal').textContent = p ? `as ${p.username || p.id} (${p.permissions.join(', ') || 'no permissions'})` : 'anonymous';
}

// ---------------------------------------------------------------------------------------------
// Events

function onEvent(e) {
  const cursor = state.cursors.get(e.channel);
  if (cursor && cursor.epoch === e.epoch && e.seq <= cursor.seq) return; // replay overlap: already shown
  state.cursors.set(e.channel, { epoch: e.epoch, seq: e.seq });
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

function summaryOf(e) {
  const d = e.data || {};
  switch (e.type) {
    case 'threat.new':
      return `${d.source_ip} score ${d.threat_score}${d.event_type ? ` · ${d.event_type}` : ''}${d.dst_port !== undefined ? ` · port ${d.dst_port}` : ''}`;
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
    const c = state.channels.get(name) || { selected: DEFAULT_CHANNELS.has(name), filter: undefined, live: false, error: '' };
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
      if (state.phase !== 'open') return;
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
    filter.addEventListener('change', () => {
      const text = filter.value.trim();
      try {
        c.filter = text === '' ? undefined : JSON.parse(text);
        filter.classList.remove('invalid');
      } catch {
        filter.classList.add('invalid');
        return;
      }
      if (c.selected && state.phase === 'open') {
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
    const res = await fetch('/v1/channels', { headers: state.token ? { authorization: `Bearer ${state.token}` } : {} });
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

function notice(text, isError) {
  const n = $('notice');
  n.textContent = text;
  n.className = isError ? 'notice error' : 'notice';
  n.hidden = false;
}

function hideNotice() {
  $('notice').hidden = true;
}

function init() {
  // A token may arrive in the fragment (never sent to the server); drop it from the address bar.
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    state.token = decodeURIComponent(m[1]);
    $('token').value = state.token;
    history.replaceState(null, '', location.pathname + location.search);
  }
  $('auth').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.token = $('token').value.trim();
    state.attempt = 0;
    connect();
  });
  $('disconnect').addEventListener('click', disconnect);
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
