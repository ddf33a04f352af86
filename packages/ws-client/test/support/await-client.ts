import type { ChannelEvent, ChannelName } from '@ns/contracts';
import type { ClientEvents, NsClient, SubscribeOptions } from '../../src/index.js';

/** The next `event` of the client that satisfies `predicate`. */
export function nextClientEvent<K extends keyof ClientEvents>(
  client: NsClient,
  event: K,
  predicate: (payload: ClientEvents[K]) => boolean = () => true,
): Promise<ClientEvents[K]> {
  return new Promise((resolve) => {
    const off = client.on(event, (payload) => {
      if (!predicate(payload)) return;
      off();
      resolve(payload);
    });
  });
}

/** Resolves when the client reaches `state` (at once if it is there already). */
export function reachState(client: NsClient, state: NsClient['state']): Promise<unknown> {
  if (client.state === state) return Promise.resolve();
  return nextClientEvent(client, 'state', (s) => s.state === state);
}

/** Subscribes and records every delivered event; `count(n)` resolves once n events have arrived. */
export function collect<C extends ChannelName>(client: NsClient, channel: C, options: SubscribeOptions<C> = {}) {
  const events: ChannelEvent<C>[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const unsubscribe = client.subscribe(channel, options, (event) => {
    events.push(event);
    waiters = waiters.filter((w) => (events.length >= w.n ? (w.resolve(), false) : true));
  });
  return {
    events,
    unsubscribe,
    seqs: (): number[] => events.map((e) => e.seq),
    count: (n: number): Promise<void> =>
      events.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
  };
}

/** 1..n */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
