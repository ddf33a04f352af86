import type { EventEnvelope, Principal } from '@ns/contracts';
import { CHANNEL_RULES, type ChannelName } from '@ns/contracts/wire';
import type { GapEvent, NsClient, NsClientError, StateChange } from '@ns/ws-client';
import { ApiError, fetchHeads, fetchHistory, openClient } from './gateway.js';
import type { ChannelState, Sidebar } from './sidebar.js';

// The console's event feed: on Connect, each ticked channel first shows its recent history (HTTP),
// then subscribes with `since` = the last event shown, so the gateway replays anything published in
// between — no gap — and the feed drops anything at or below the last (epoch, seq) — no duplicate.

/** Ring channels show this many recent events on open. */
const HISTORY_ON_OPEN = 500;

/** Where the feed's events and state go. */
export interface FeedSink {
  /** An event, once, in order per channel; `live` is false for history shown on open. */
  event(e: EventEnvelope, live: boolean): void;
  state(change: StateChange): void;
  principal(p: Principal | null): void;
  /** A message for the notice bar; `key` replaces an earlier one with the same key. */
  notice(text: string, isError: boolean, key?: string): void;
  clearNotice(key: string): void;
  /** A client error that is not about one channel (closed for good, token trouble). */
  fatal(err: NsClientError): void;
}

export class Feed {
  #client: NsClient | null = null;
  /** Per channel: unsubscribe from the current client. */
  readonly #off = new Map<ChannelName, () => void>();
  /** Per channel: the last event handed on, across clients (a new Connect resumes from it). */
  readonly #last = new Map<ChannelName, { epoch: string; seq: number }>();
  /** Bumped by every Connect and resubscribe, so a slow history answer for an older one is dropped. */
  readonly #generation = new Map<ChannelName, number>();
  /**
   * Who the current client is connected as, once it is open (`undefined` before): channels start
   * then, so history is asked for only where the principal may read it.
   */
  #principal: Principal | null | undefined;

  constructor(
    private readonly sidebar: Sidebar,
    private readonly sink: FeedSink,
  ) {}

  get connected(): boolean {
    return this.#client !== null;
  }

  /** A new client (the token as typed now), and every ticked channel (re)started — refused ones included. */
  connect(): void {
    this.disconnect();
    const client = openClient();
    this.#client = client;
    this.#principal = undefined;
    let welcomed: Principal | null = null;
    const mine = <T>(fn: (x: T) => void) => (x: T) => {
      if (this.#client === client) fn(x);
    };
    client.on('state', mine((s: StateChange) => {
      if (s.state !== 'open') for (const c of this.sidebar.channels.values()) c.live = false;
      this.sidebar.render();
      this.sink.state(s);
      // The first open of this client: the principal is settled; start the ticked channels. Later
      // opens (reconnects) are resumed by the client itself.
      if (s.state === 'open' && this.#principal === undefined) {
        this.#principal = welcomed;
        for (const c of this.sidebar.channels.values()) if (c.selected) void this.start(c);
      }
    }));
    const principal = (p: Principal | null) => {
      welcomed = p;
      if (this.#principal !== undefined) this.#principal = p;
      this.sink.principal(p);
    };
    client.on('welcome', mine((w) => principal(w.principal)));
    client.on('authenticated', mine((a) => principal(a.principal)));
    client.on('subscribed', mine((m) => this.#update(m.channel, { live: true, error: '' })));
    client.on('gap', mine((g: GapEvent) => this.#gap(g)));
    client.on('error', mine((err: NsClientError) => this.#error(err)));
    this.sink.state({ state: client.state } as StateChange);
  }

  disconnect(): void {
    const client = this.#client;
    if (client === null) return;
    this.#client = null;
    this.#off.clear();
    client.close();
    for (const c of this.sidebar.channels.values()) c.live = false;
    this.sidebar.render();
  }

  /** Starts a channel: history first (once per epoch), then the live subscription from where it ended. */
  async start(c: ChannelState): Promise<void> {
    this.stop(c);
    c.error = '';
    this.sidebar.render();
    const client = this.#client;
    // Not open yet: the first open starts every ticked channel.
    if (client === null || c.filterError !== '' || this.#principal === undefined) return;
    const generation = (this.#generation.get(c.name) ?? 0) + 1;
    this.#generation.set(c.name, generation);
    let since = this.#last.get(c.name);
    // History is the channel's unfiltered record: with a filter, the gateway's replay (which applies it) fills in instead.
    // History only where this principal may read (else the subscription's refusal says why).
    const permission = CHANNEL_RULES[c.name].readPermission;
    const mayRead = permission === null || (this.#principal?.permissions.some((p) => p === permission || p === 'admin') ?? false);
    if (CHANNEL_RULES[c.name].history.kind !== 'none' && mayRead) {
      try {
        since = await this.#history(c, since);
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
          this.#update(c.name, { error: `${err.code}: ${err.message}. Paste a token with the permission and press Connect.` });
          return;
        }
        this.sink.notice(`${c.name}: history unavailable (${(err as Error).message}); showing live events only.`, true, `history:${c.name}`);
      }
    }
    if (this.#client !== client || this.#generation.get(c.name) !== generation || !c.selected) return;
    const options: { filter?: never; since?: { epoch: string; seq: number } } = {};
    if (c.filter !== undefined) options.filter = c.filter as never;
    if (since !== undefined) options.since = since;
    this.#off.set(c.name, client.subscribe(c.name, options, (e) => this.#deliver(e as EventEnvelope, true)));
  }

  /** Unsubscribes a channel (it keeps what it showed). */
  stop(c: ChannelState): void {
    this.#off.get(c.name)?.();
    this.#off.delete(c.name);
    c.live = false;
    this.sidebar.render();
  }

  /** Polls `GET /v1/channels` for the sidebar's subscriber and user counts (every instance) and rates. */
  async poll(previous: Map<string, { seq: number; t: number }>): Promise<void> {
    const heads = await fetchHeads();
    const now = performance.now();
    for (const [name, h] of heads) {
      const c = this.sidebar.channels.get(name as ChannelName);
      if (c === undefined) continue;
      const p = previous.get(name);
      const rate = p === undefined || now <= p.t ? 0 : Math.max(0, h.seq - p.seq) / ((now - p.t) / 1000);
      previous.set(name, { seq: h.seq, t: now });
      c.stats = `${rate.toFixed(1)}/s · ${h.subscribers} subs${h.users === undefined ? '' : ` · ${h.users} users`} · #${h.seq}`;
    }
    this.sidebar.render();
  }

  // Recent history of a ring channel (the last HISTORY_ON_OPEN events), or every key of a latest
  // channel, handed on as not live; returns the cursor to subscribe from.
  async #history(c: ChannelState, since: { epoch: string; seq: number } | undefined): Promise<{ epoch: string; seq: number } | undefined> {
    const rule = CHANNEL_RULES[c.name].history;
    if (c.filter !== undefined) {
      if (since !== undefined || rule.kind !== 'ring') return since;
      // Filtered: start the subscription far enough back for the gateway to replay matching events.
      const head = (await fetchHeads()).get(c.name);
      return head?.epoch == null ? undefined : { epoch: head.epoch, seq: Math.max(0, head.seq - HISTORY_ON_OPEN) };
    }
    let from = since?.seq ?? 0;
    if (since === undefined && rule.kind === 'ring') {
      const head = (await fetchHeads()).get(c.name);
      from = Math.max(0, (head?.seq ?? 0) - HISTORY_ON_OPEN);
    }
    const page = await fetchHistory(c.name, from, rule.kind === 'ring' ? Math.min(HISTORY_ON_OPEN, rule.size) : 1000);
    if (since !== undefined && page.epoch !== since.epoch) return since; // restarted: let the subscription report the gap
    // A latest channel's page is one event per key; in seq order they dedupe like a ring's.
    const events = [...page.events].sort((a, b) => a.seq - b.seq);
    for (const e of events) this.#deliver(e, false);
    const last = events.at(-1);
    return { epoch: page.epoch, seq: last?.seq ?? (since?.seq ?? page.seq) };
  }

  #deliver(e: EventEnvelope, live: boolean): void {
    const last = this.#last.get(e.channel);
    // Same epoch and not newer: already shown (history overlapping the replay, or a resubscribe).
    if (last !== undefined && last.epoch === e.epoch && e.seq <= last.seq) return;
    this.#last.set(e.channel, { epoch: e.epoch, seq: e.seq });
    this.sink.event(e, live);
  }

  #update(name: ChannelName, patch: Partial<Pick<ChannelState, 'live' | 'error'>>): void {
    const c = this.sidebar.channels.get(name);
    if (c === undefined) return;
    Object.assign(c, patch);
    this.sidebar.render();
  }

  #gap(gap: GapEvent): void {
    const what =
      gap.reason === 'epoch_changed'
        ? 'the history restarted (new epoch), earlier events may be missing'
        : `events after #${gap.since?.seq ?? '?'} could not be replayed (the gateway's history moved on or restarted)`;
    this.sink.notice(`${gap.channel}: ${what}; live again from #${gap.seq}.`, false, `gap:${gap.channel}`);
  }

  #error(err: NsClientError): void {
    const c = err.channel === undefined ? undefined : this.sidebar.channels.get(err.channel as ChannelName);
    if (c !== undefined && err.source === 'server') {
      // Refused (permission, filter): the channel stays ticked, so Connect with a token retries it.
      this.#off.get(c.name)?.();
      this.#off.delete(c.name);
      const hint = err.code === 'unauthorized' || err.code === 'forbidden' ? ' Paste a token with the permission and press Connect.' : '';
      this.#update(c.name, { live: false, error: `${err.code}: ${err.message}.${hint}` });
      return;
    }
    this.sink.fatal(err);
  }
}
