import http from 'node:http';
import { clockMs } from '../measure/clock.js';
import { threatEvent } from './threat-events.js';

/** One `POST /v1/publish` over a keep-alive pool; resolves with the status and body. */
export function post(agent: http.Agent, url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/v1/publish`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** What a paced publish run did. */
export interface PublishOutcome {
  sent: number;
  accepted: number;
  errors: string[];
  /** Clock ms of the first and last POST. */
  firstAt: number;
  lastAt: number;
  /** Highest `seq` acknowledged (threats channel). */
  lastSeq: number;
  /** POST → 202, ms, per request. */
  ackMs: number[];
}

/**
 * Publishes `count` threat events (numbers `first` … `first + count - 1`) at `rate` per second, paced
 * against the schedule (not the previous request), so the offered rate holds even when the server
 * lags. Each tick sends what is due: one event as `{type, data}`, several as `{events: […]}`. Every
 * event is stamped with the clock just before its POST.
 */
export async function publishPaced(url: string, o: { rate: number; count: number; first: number }): Promise<PublishOutcome> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const out: PublishOutcome = { sent: 0, accepted: 0, errors: [], firstAt: 0, lastAt: 0, lastSeq: 0, ackMs: [] };
  const pending: Promise<void>[] = [];
  const start = clockMs();
  out.firstAt = start;
  while (out.sent < o.count) {
    const due = Math.min(o.count, Math.floor(((clockMs() - start) * o.rate) / 1000) + 1);
    if (due > out.sent) {
      const n = Math.min(1000, due - out.sent);
      const now = clockMs();
      const events = Array.from({ length: n }, (_, k) => threatEvent(o.first + out.sent + k, now));
      out.sent += n;
      out.lastAt = now;
      const body = JSON.stringify(n === 1 ? events[0] : { events });
      pending.push(
        post(agent, url, body).then(
          (res) => {
            out.ackMs.push(clockMs() - now);
            if (res.status !== 202) {
              if (out.errors.length < 5) out.errors.push(`${res.status} ${res.body.slice(0, 200)}`);
              return;
            }
            const results = (JSON.parse(res.body) as { results: { seq: number }[] }).results;
            out.accepted += results.length;
            for (const r of results) if (r.seq > out.lastSeq) out.lastSeq = r.seq;
          },
          (err: Error) => {
            if (out.errors.length < 5) out.errors.push(err.message);
          },
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  agent.destroy();
  return out;
}

/** What an ingest run did. */
export interface IngestOutcome {
  accepted: number;
  requests: number;
  errors: string[];
  elapsedMs: number;
}

/**
 * Publish ingest: `{events: [batchSize events]}` bodies, `concurrency` requests in flight, for
 * `durationMs`. Bodies are built up front (a few distinct ones, rotated) so the publisher's own cost
 * stays small; events carry no `id`, so each one is new to the server.
 */
export async function ingest(url: string, o: { batchSize: number; concurrency: number; durationMs: number }): Promise<IngestOutcome> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const bodies = Array.from({ length: 8 }, (_, b) => JSON.stringify({ events: Array.from({ length: o.batchSize }, (_, k) => threatEvent(b * o.batchSize + k)) }));
  const out: IngestOutcome = { accepted: 0, requests: 0, errors: [], elapsedMs: 0 };
  const start = clockMs();
  const lane = async (l: number) => {
    for (let i = l; clockMs() - start < o.durationMs; i += o.concurrency) {
      const res = await post(agent, url, bodies[i % bodies.length] as string);
      out.requests++;
      if (res.status === 202) out.accepted += o.batchSize;
      else if (out.errors.length < 5) out.errors.push(`${res.status} ${res.body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, l) => lane(l)));
  out.elapsedMs = clockMs() - start;
  agent.destroy();
  return out;
}
