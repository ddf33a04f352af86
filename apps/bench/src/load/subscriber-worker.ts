/**
 * A load-generator process: holds up to a few thousand {@link RawSubscriber}s (one process's file
 * limit is 20,000) and answers the orchestrator's commands over IPC. Run with `fork()`.
 */
import { performance } from 'node:perf_hooks';
import { subscriberFilter } from './threat-events.js';
import { lastData, RawSubscriber, type ResumeCursor } from './raw-subscriber.js';
import type { WorkerCommand, WorkerReply, WorkerStats } from './subscriber-messages.js';

const subscribers: RawSubscriber[] = [];
const send = (reply: WorkerReply) => process.send?.(reply);
let markAt = 0;

/** Runs `task` for every item with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function stats(): WorkerStats {
  let open = 0;
  let delivered = 0;
  let bytes = 0;
  let events = 0;
  let gaps = 0;
  let duplicates = 0;
  let maxSeq = 0;
  let minSeq = Number.MAX_SAFE_INTEGER;
  for (const s of subscribers) {
    if (s.state === 'ready') open++;
    delivered += s.delivered;
    bytes += s.reader.textBytes;
    events += s.events;
    gaps += s.gaps;
    duplicates += s.duplicates;
    maxSeq = Math.max(maxSeq, s.lastSeq);
    minSeq = Math.min(minSeq, s.lastSeq);
  }
  const lastDataAt = lastData.at > markAt ? performance.timeOrigin + lastData.at : 0;
  return { type: 'stats', open, delivered, bytes, lastDataAt, events, gaps, duplicates, maxSeq, minSeq: subscribers.length === 0 ? 0 : minSeq };
}

async function open(c: Extract<WorkerCommand, { cmd: 'open' }>): Promise<void> {
  const started = performance.now();
  const errors: string[] = [];
  let failed = 0;
  const fresh: RawSubscriber[] = [];
  for (let k = 0; k < c.count; k++) {
    const i = c.firstIndex + k;
    fresh.push(
      new RawSubscriber({
        protocol: c.protocol,
        host: c.host,
        port: c.port,
        localAddress: `127.0.0.${1 + (i % c.sourceAddresses)}`,
        filter: subscriberFilter(c.filter, i),
        track: c.track,
        connectTimeoutMs: 60_000,
      }),
    );
  }
  await pool(fresh, c.concurrency, async (s) => {
    try {
      await s.connect();
      subscribers.push(s);
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push((err as Error).message);
    }
  });
  send({ type: 'opened', opened: fresh.length - failed, failed, errors, ms: performance.now() - started });
}

async function reconnect(targetSeq: number, offset: string): Promise<void> {
  const started = performance.now();
  const errors: string[] = [];
  let failed = 0;
  // Every subscriber at once: that is the storm.
  await Promise.all(
    subscribers.map(async (s) => {
      const cursor: ResumeCursor = { epoch: s.epoch, seq: s.lastSeq, pid: s.pid, offset: s.offset !== '' ? s.offset : offset };
      s.resetCounters();
      s.targetSeq = targetSeq;
      try {
        await s.connect(cursor);
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push((err as Error).message);
      }
    }),
  );
  // Replayed events may still be arriving after `subscribed`: wait (bounded) until each has caught up.
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline && subscribers.some((s) => s.state === 'ready' && s.recovered === true && s.caughtUpAt === 0)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = subscribers.filter((s) => s.readyAt > 0).map((s) => s.readyAt - started);
  const caughtUpMs = subscribers.filter((s) => s.caughtUpAt > 0).map((s) => s.caughtUpAt - started);
  const recovered = subscribers.filter((s) => s.recovered === true).length;
  const any = subscribers[0];
  send({
    type: 'reconnected',
    opened: subscribers.length - failed,
    failed,
    errors,
    recovered,
    readyMs,
    caughtUpMs,
    cursor: any === undefined ? undefined : { epoch: any.epoch, seq: any.lastSeq, pid: any.pid, offset: any.offset },
  });
}

process.on('message', (c: WorkerCommand) => {
  switch (c.cmd) {
    case 'open':
      void open(c);
      break;
    case 'mark':
      for (const s of subscribers) s.resetCounters();
      markAt = performance.now();
      send({ type: 'marked' });
      break;
    case 'stats':
      send(stats());
      break;
    case 'drop': {
      const victims = c.count === undefined ? subscribers : subscribers.filter((s) => s.state === 'ready').slice(0, c.count);
      for (const s of victims) s.destroy();
      send({ type: 'dropped' });
      break;
    }
    case 'reconnect':
      void reconnect(c.targetSeq, c.offset);
      break;
    case 'exit':
      for (const s of subscribers) s.destroy();
      process.exit(0);
  }
});
// The orchestrator going away (even killed) ends the worker: the IPC channel closes.
process.on('disconnect', () => process.exit(0));
