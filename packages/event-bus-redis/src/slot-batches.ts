import { CHANNEL_NAMES, type ChannelName, type EventType } from '@ns/contracts';
import type { PendingEvent } from '@ns/event-bus';
import type { AppendCall, AppendReply, ScriptCommands } from './commands.js';

type Conflict = { index: number; heldBy: EventType };
type Result = Extract<AppendReply, { stored: true }>['results'][number];
type Part = { channel: ChannelName; indices: number[]; events: PendingEvent[] };

/**
 * An append on a Redis Cluster, where each channel is its own slot, keeps its own idempotency records,
 * and one script can only touch one slot. In two steps:
 *
 * 1. checked: a publisher id used on two channels of the batch, held by a different event in any
 *    channel's records (another channel's, looked up by a small script in that channel's slot), fails
 *    the whole batch with `id_conflict`, and nothing is stored;
 * 2. stored: one atomic script per channel of the batch, one after the other in the order the batch
 *    names the channels, each delivered to this instance's listeners (`settle`) before the next is
 *    stored, so local listeners see the batch in order as on one Redis. A batch of one channel is
 *    thus atomic as on a single Redis. If a part fails, the caller reports an unknown outcome for every id,
 *    and a retry with the same ids stores what is missing and answers the rest `duplicate`; an id
 *    taken by a concurrent publisher between the two steps fails its part with `id_conflict` while
 *    other parts may be stored (their retry answers `duplicate`).
 *
 * So a multi-channel batch is all or nothing in its outcome once retried, not in one step: for a
 * moment a channel's subscribers can see its part before another channel's part is stored.
 */
export async function appendPerSlot(
  commands: ScriptCommands,
  call: Omit<AppendCall, 'ids'>,
  ids: (channel: ChannelName) => AppendCall['ids'],
  settle: (channel: ChannelName, epoch: string, seq: number) => Promise<void>,
): Promise<AppendReply> {
  const parts = new Map<ChannelName, Part>();
  call.events.forEach((e, i) => {
    let part = parts.get(e.channel);
    if (part === undefined) parts.set(e.channel, (part = { channel: e.channel, indices: [], events: [] }));
    part.indices.push(i);
    part.events.push(e);
  });
  const calls = [...parts.values()].map((part) => ({ part, call: { ids: ids(part.channel), ...call, events: part.events } }));

  const conflicts = crossChannelIds(call.events);
  if (conflicts.length === 0) conflicts.push(...(await heldElsewhere(commands, [...parts.values()], ids)));
  // One part is checked by its own (atomic) store; several are checked first, so none is stored.
  if (conflicts.length === 0 && calls.length > 1) {
    const checked = await Promise.all(calls.map(async ({ part, call: c }) => (await commands.conflicts(c)).map((x) => ({ ...x, index: part.indices[x.index] as number }))));
    conflicts.push(...checked.flat());
  }
  if (conflicts.length > 0) return { stored: false, conflicts: conflicts.sort((a, b) => a.index - b.index) };

  const results: Result[] = new Array(call.events.length);
  const epochs = new Map<ChannelName, string>();
  for (const { part, call: c } of calls) {
    const reply = await commands.append(c);
    if (!reply.stored) return { stored: false, conflicts: reply.conflicts.map((x) => ({ ...x, index: part.indices[x.index] as number })) };
    let last = 0;
    reply.results.forEach((r, k) => {
      results[part.indices[k] as number] = r;
      if (!r.duplicate) last = Math.max(last, r.seq);
    });
    const epoch = reply.epochs.get(part.channel) as string;
    epochs.set(part.channel, epoch);
    if (last > 0) await settle(part.channel, epoch, last);
  }
  return { stored: true, epochs, results };
}

/** Publisher ids the batch uses on more than one channel: different events (a type has one channel). */
function crossChannelIds(events: readonly PendingEvent[]): Conflict[] {
  const first = new Map<string, PendingEvent>();
  const found: Conflict[] = [];
  events.forEach((e, index) => {
    if (!e.idempotent) return;
    const held = first.get(e.id);
    if (held === undefined) first.set(e.id, e);
    else if (held.channel !== e.channel) found.push({ index, heldBy: held.type });
  });
  return found;
}

/** Publisher ids of each part held in another channel's records: by a different event, a conflict. */
async function heldElsewhere(commands: ScriptCommands, parts: readonly Part[], ids: (channel: ChannelName) => AppendCall['ids']): Promise<Conflict[]> {
  const lookups: Promise<Conflict[]>[] = [];
  for (const part of parts) {
    const mine = part.events.flatMap((e, k) => (e.idempotent ? [{ id: e.id, index: part.indices[k] as number }] : []));
    if (mine.length === 0) continue;
    for (const other of CHANNEL_NAMES) {
      if (other === part.channel) continue;
      lookups.push(
        commands.heldIds(ids(other).records, mine.map((m) => m.id)).then((held) => mine.flatMap((m, j) => (held[j] === undefined ? [] : [{ index: m.index, heldBy: held[j] as EventType }]))),
      );
    }
  }
  return (await Promise.all(lookups)).flat();
}
