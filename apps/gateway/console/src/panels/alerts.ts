import type { AlertAction, AlertData, AlertStateData, EventEnvelope, Principal } from '@ns/contracts';
import { age, badge, byId, clock, coalesced, el } from '../dom.js';
import { showDetail } from '../detail.js';
import { ApiError, alertAction } from '../gateway.js';

type AlertState = 'open' | 'acknowledged' | 'resolved';
type View = AlertState | 'all';

/** One alert, folded from its `alert.new`, `alert.acknowledged` and `alert.resolved` events. */
interface Alert {
  id: string;
  raised?: { data: AlertData; event: EventEnvelope };
  acknowledged?: AlertStateData;
  resolved?: AlertStateData;
  /** The latest of its events, for the detail view. */
  last: EventEnvelope;
}

const stateOf = (a: Alert): AlertState => (a.resolved ? 'resolved' : a.acknowledged ? 'acknowledged' : 'open');
const MAX_ALERTS = 2000;

/**
 * The alert queue: open, acknowledged (by whom, when) and resolved alerts, folded from the alerts
 * channel; open critical alerts older than the configured minutes are highlighted. Analysts with
 * `write:alerts` acknowledge and resolve from here; the change arrives back as an event, for every
 * console at once.
 */
export class AlertsPanel {
  readonly #alerts = new Map<string, Alert>();
  #view: View = 'open';
  #canAct = false;
  #staleMinutes: number;
  readonly #schedule = coalesced(() => this.render());
  #ticks = 0;

  constructor(staleMinutes: number, onStaleChange: (minutes: number) => void) {
    this.#staleMinutes = staleMinutes;
    const stale = byId<HTMLInputElement>('stale-minutes');
    stale.value = String(staleMinutes);
    stale.addEventListener('change', () => {
      const n = Number(stale.value);
      if (!Number.isFinite(n) || n <= 0) {
        stale.value = String(this.#staleMinutes);
        return;
      }
      this.#staleMinutes = n;
      onStaleChange(n);
      this.render();
    });
    for (const b of byId('alert-views').querySelectorAll<HTMLButtonElement>('button[data-view]')) {
      b.addEventListener('click', () => {
        this.#view = b.dataset.view as View;
        this.render();
      });
    }
  }

  /** Who is connected: only principals with `write:alerts` (or `admin`) get the action buttons enabled. */
  principal(p: Principal | null): void {
    this.#canAct = p !== null && (p.permissions.includes('write:alerts') || p.permissions.includes('admin'));
    this.#schedule();
  }

  add(e: EventEnvelope): void {
    if (e.channel !== 'alerts') return;
    const id = (e.data as { id: string }).id;
    const a = this.#alerts.get(id) ?? { id, last: e };
    a.last = e;
    if (e.type === 'alert.new') a.raised = { data: e.data, event: e };
    else if (e.type === 'alert.acknowledged') a.acknowledged ??= e.data;
    else if (e.type === 'alert.resolved') a.resolved ??= e.data;
    // Re-inserted: the map's order is "most recently changed last".
    this.#alerts.delete(id);
    this.#alerts.set(id, a);
    if (this.#alerts.size > MAX_ALERTS) this.#alerts.delete(this.#alerts.keys().next().value as string);
    this.#schedule();
  }

  /** Called every second: ages and the stale highlight move on every 5 s. */
  tick(): void {
    if (++this.#ticks % 5 === 0) this.#schedule();
  }

  render(): void {
    const counts: Record<AlertState, number> = { open: 0, acknowledged: 0, resolved: 0 };
    for (const a of this.#alerts.values()) counts[stateOf(a)]++;
    for (const b of byId('alert-views').querySelectorAll<HTMLButtonElement>('button[data-view]')) {
      const view = b.dataset.view as View;
      b.setAttribute('aria-pressed', String(view === this.#view));
      const n = view === 'all' ? this.#alerts.size : counts[view];
      b.textContent = `${view} (${n})`;
    }
    const rows = [...this.#alerts.values()].filter((a) => this.#view === 'all' || stateOf(a) === this.#view).reverse();
    byId('alert-rows').replaceChildren(...rows.map((a) => this.#row(a)));
    byId('alert-empty').hidden = rows.length > 0;
  }

  #row(a: Alert): HTMLTableRowElement {
    const state = stateOf(a);
    const d = a.raised?.data;
    const tr = el('tr');
    tr.dataset.alertId = a.id;
    tr.dataset.state = state;
    const raisedAt = d?.timestamp ?? a.last.ts;
    const stale = state === 'open' && d?.severity === 'critical' && Date.now() / 1000 - raisedAt > this.#staleMinutes * 60;
    if (stale) tr.classList.add('stale');
    tr.dataset.stale = String(stale);
    const sev = el('td');
    sev.append(badge(d?.severity ?? ''));
    const what = el('td');
    const open = el('button', 'link', d?.title ?? d?.message ?? '(raised before the retained history)');
    open.type = 'button';
    open.addEventListener('click', () => showDetail(a.raised?.event ?? a.last));
    what.append(open);
    if (d?.title !== undefined) what.append(el('div', 'dim small', d.message));
    tr.append(el('td', 'dim', `${clock(raisedAt)} (${age(raisedAt)} ago)`), sev, el('td', 'mono', a.id), what, el('td', 'mono', d?.source_ip ?? ''), this.#stateCell(a), this.#actions(a));
    return tr;
  }

  #stateCell(a: Alert): HTMLTableCellElement {
    const td = el('td', 'state-cell');
    const line = (label: string, s: AlertStateData) => el('div', `alert-${label}`, `${label} by ${s.by} at ${clock(s.timestamp)}${s.note ? ` — ${s.note}` : ''}`);
    if (a.acknowledged) td.append(line('acknowledged', a.acknowledged));
    if (a.resolved) td.append(line('resolved', a.resolved));
    if (!a.acknowledged && !a.resolved) td.append(el('span', 'alert-open', 'open'));
    return td;
  }

  #actions(a: Alert): HTMLTableCellElement {
    const td = el('td');
    const box = el('div', 'actions');
    td.append(box);
    const button = (action: AlertAction, label: string, done: boolean) => {
      const b = el('button', `act act-${action}`, label);
      b.type = 'button';
      b.disabled = done || !this.#canAct;
      b.title = !this.#canAct ? 'needs a token with write:alerts' : done ? `already ${action === 'acknowledge' ? 'acknowledged' : 'resolved'}` : `${label} ${a.id}`;
      b.setAttribute('aria-label', `${label} alert ${a.id}`);
      b.addEventListener('click', () => void this.#act(a.id, action, b));
      return b;
    };
    box.append(button('acknowledge', 'Acknowledge', a.acknowledged !== undefined || a.resolved !== undefined), button('resolve', 'Resolve', a.resolved !== undefined));
    return td;
  }

  async #act(id: string, action: AlertAction, b: HTMLButtonElement): Promise<void> {
    const note = byId<HTMLInputElement>('alert-note');
    b.disabled = true;
    const status = byId('alert-status');
    try {
      const res = await alertAction(id, action, note.value.trim());
      note.value = '';
      status.textContent = res.duplicate ? `${id} was already ${res.type === 'alert.resolved' ? 'resolved' : 'acknowledged'} by ${res.data.by}.` : '';
      // The event itself arrives on the alerts channel (for every console) and updates the row.
    } catch (err) {
      status.textContent = err instanceof ApiError ? `${action} ${id}: ${err.code} — ${err.message}` : `${action} ${id}: ${(err as Error).message}`;
      b.disabled = false;
    }
  }
}
