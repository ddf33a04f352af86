import { createHash } from 'node:crypto';
import { ALERT_ACTIONS, MAX_HISTORY_LIMIT, NsError, type AlertAction, type AlertActionResponse, type AlertStateData, type Principal } from '@ns/contracts';
import type { PublishingBus } from './ports.js';

/** Pages of the alerts history read when looking for an earlier action (the ring holds 1000 events). */
const MAX_PAGES = 10;

/** What an analyst asks for: act on one alert, as one principal, with an optional note. */
export interface AlertActionInput {
  action: AlertAction;
  alertId: string;
  principal: Principal;
  note?: string | undefined;
}

/**
 * Acknowledging and resolving alerts (docs/protocol.md#alert-actions): publishes `alert.acknowledged` /
 * `alert.resolved` on the analyst's behalf, once per alert and action. The alerts channel's history is
 * the record: an action already there is answered with its first event (`duplicate: true`). Requests
 * for the same alert and action are serialized in this process; across gateways sharing an engine,
 * the event's deterministic id makes a concurrent second publish an `id_conflict`, answered the same
 * way from history.
 */
export class AlertActions {
  readonly #bus: PublishingBus;
  readonly #now: () => number;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(bus: PublishingBus, now: () => number = () => Date.now() / 1000) {
    this.#bus = bus;
    this.#now = now;
  }

  /** Records the action, or answers the earlier record of it. */
  act(input: AlertActionInput): Promise<AlertActionResponse> {
    const key = `${input.action}\0${input.alertId}`;
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => this.#act(input),
      () => this.#act(input),
    );
    this.#queues.set(key, run);
    // The map holds only queues with work pending: the last one out removes its key.
    const forget = () => {
      if (this.#queues.get(key) === run) this.#queues.delete(key);
    };
    run.then(forget, forget);
    return run;
  }

  async #act({ action, alertId, principal, note }: AlertActionInput): Promise<AlertActionResponse> {
    const type = ALERT_ACTIONS[action];
    const earlier = await this.#find(type, alertId);
    if (earlier !== undefined) return earlier;
    const data: AlertStateData = { id: alertId, by: principal.username ?? principal.id, timestamp: this.#now() };
    if (note !== undefined && note !== '') data.note = note;
    try {
      const result = await this.#bus.publish({ type, id: actionEventId(action, alertId), data });
      return { id: result.id, channel: 'alerts', seq: result.seq, type, data, duplicate: false };
    } catch (err) {
      // Another gateway published this action first, within the idempotency window.
      if (!(err instanceof NsError) || err.code !== 'id_conflict') throw err;
      const first = await this.#find(type, alertId);
      if (first === undefined) throw err;
      return first;
    }
  }

  /** The first event of `type` for the alert in the alerts channel's history, oldest first. */
  async #find(type: AlertActionResponse['type'], alertId: string): Promise<AlertActionResponse | undefined> {
    let sinceSeq = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { events } = await this.#bus.history('alerts', { sinceSeq, limit: MAX_HISTORY_LIMIT });
      for (const e of events) {
        // Only envelopes of this type need parsing; the text check skips the rest cheaply.
        if (!e.json.includes(`"type":"${type}"`)) continue;
        const envelope = JSON.parse(e.json) as { id: string; type: string; data: AlertStateData };
        if (envelope.type === type && envelope.data.id === alertId) {
          return { id: envelope.id, channel: 'alerts', seq: e.seq, type, data: envelope.data, duplicate: true };
        }
      }
      if (events.length < MAX_HISTORY_LIMIT) return undefined;
      sinceSeq = (events.at(-1) as { seq: number }).seq;
    }
    return undefined;
  }
}

/**
 * The event id of an action on an alert: the same on every gateway (so the engine's idempotency sees
 * a concurrent repeat), and a valid event id whatever characters the alert id holds.
 */
export function actionEventId(action: AlertAction, alertId: string): string {
  return `alert-${action === 'acknowledge' ? 'ack' : 'resolve'}-${createHash('sha256').update(alertId).digest('hex').slice(0, 32)}`;
}
