import { CHANNEL_NAMES, CHANNEL_RULES, type ChannelName } from '@ns/contracts/wire';
import { byId, el } from './dom.js';
import type { Prefs } from './prefs.js';

// The channel list: what the analyst wants (ticked, filter text) and what the gateway made of it
// (live, refused). A ticked channel stays ticked when the gateway refuses it for want of a token, so
// pasting one and pressing Connect brings it up; a filter that does not parse subscribes nothing.

/** One channel's wanted and actual state. */
export interface ChannelState {
  readonly name: ChannelName;
  /** Ticked: the analyst wants it, whether or not it is live now. */
  selected: boolean;
  filterText: string;
  /** The parsed filter; `undefined` for none. Only meaningful when `filterError` is empty. */
  filter: Record<string, unknown> | undefined;
  /** Why the filter text is not used, or `''`. */
  filterError: string;
  /** Why the gateway did not subscribe it (the last refusal), or `''`. */
  error: string;
  live: boolean;
  /** Subscribers, users, events per second and head seq from `GET /v1/channels`. */
  stats: string;
}

const FILTER_HINTS: Record<ChannelName, string> = {
  threats: '{"min_score": 7, "levels": ["high", "critical"]}',
  alerts: '{"severities": ["critical"], "tags": ["ssh"]}',
  status: '{"components": ["event_processor"]}',
  metrics: '{"components": ["event_processor"]}',
  events: '{"dst_ports": [22, 2222], "logtypes": [4002]}',
  correlations: '{"patterns": ["ssh_brute_force"], "min_score": 0.5}',
  system: '(no filter fields)',
};
const DEFAULT_CHANNELS: readonly ChannelName[] = ['threats', 'alerts', 'status', 'metrics', 'system'];

/**
 * A filter's text as the filter object, or why it is not one. JSON.parse's message says where
 * (position, line and column); an empty text means no filter.
 */
export function parseFilter(text: string): { filter: Record<string, unknown> | undefined; error: string } {
  if (text.trim() === '') return { filter: undefined, error: '' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { filter: undefined, error: `filter is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { filter: undefined, error: 'filter must be a JSON object, e.g. {"min_score": 7}' };
  return { filter: value as Record<string, unknown>, error: '' };
}

/** What the sidebar reports back: a channel was ticked, unticked or given a new filter. */
export type ChannelChange = (state: ChannelState, what: 'selected' | 'filter') => void;

/** The channel list of the sidebar. */
export class Sidebar {
  readonly channels = new Map<ChannelName, ChannelState>();
  readonly #ui = new Map<ChannelName, { box: HTMLInputElement; input: HTMLInputElement; err: HTMLElement; stats: HTMLElement; li: HTMLElement }>();

  constructor(prefs: Prefs, onChange: ChannelChange) {
    const ul = byId('channels');
    for (const name of CHANNEL_NAMES) {
      const saved = prefs.channels[name];
      const text = saved?.filter ?? '';
      const parsed = parseFilter(text);
      const selected = saved?.selected ?? DEFAULT_CHANNELS.includes(name);
      const state: ChannelState = { name, selected, filterText: text, filter: parsed.filter, filterError: parsed.error, error: '', live: false, stats: '' };
      this.channels.set(name, state);

      const li = el('li');
      li.dataset.channel = name;
      const row = el('div', 'row');
      const box = el('input');
      box.type = 'checkbox';
      box.id = `ch-${name}`;
      box.addEventListener('change', () => {
        state.selected = box.checked;
        onChange(state, 'selected');
      });
      const label = el('label', 'name', name);
      label.htmlFor = box.id;
      row.append(box, label);
      const permission = CHANNEL_RULES[name].readPermission;
      if (permission !== null) row.append(el('span', 'lock', permission));
      const stats = el('div', 'stats');
      const input = el('input', 'filter');
      input.value = text;
      input.placeholder = FILTER_HINTS[name];
      input.spellcheck = false;
      input.disabled = name === 'system';
      input.setAttribute('aria-label', `${name} filter (JSON)`);
      input.addEventListener('change', () => {
        state.filterText = input.value;
        const parsed = parseFilter(input.value);
        state.filter = parsed.filter;
        state.filterError = parsed.error;
        onChange(state, 'filter');
      });
      const err = el('div', 'err');
      err.setAttribute('role', 'status');
      li.append(row, input, stats, err);
      ul.append(li);
      this.#ui.set(name, { box, input, err, stats, li });
    }
    this.render();
  }

  /** The channel's entry in the list and its first row, for views that add to it (presence). */
  slot(name: ChannelName): { row: HTMLElement; li: HTMLElement } {
    const ui = this.#ui.get(name);
    if (ui === undefined) throw new Error(`console: no channel ${name}`);
    return { row: ui.box.parentElement as HTMLElement, li: ui.li };
  }

  /** The choices to persist. */
  prefs(): Prefs['channels'] {
    const out: Prefs['channels'] = {};
    for (const [name, c] of this.channels) out[name] = { selected: c.selected, filter: c.filterText };
    return out;
  }

  render(): void {
    for (const [name, c] of this.channels) {
      const ui = this.#ui.get(name);
      if (ui === undefined) continue;
      ui.box.checked = c.selected;
      ui.input.classList.toggle('invalid', c.filterError !== '');
      ui.input.setAttribute('aria-invalid', String(c.filterError !== ''));
      const problem = c.filterError !== '' ? `${c.filterError} — ${name} is not subscribed until it parses.` : c.error;
      ui.err.textContent = c.selected || c.filterError !== '' ? problem : '';
      ui.li.dataset.live = String(c.live);
      ui.li.dataset.state = !c.selected ? 'off' : c.live ? 'live' : problem !== '' ? 'refused' : 'pending';
      ui.stats.textContent = `${c.stats}${c.live ? ' · live' : ''}`;
    }
  }
}
