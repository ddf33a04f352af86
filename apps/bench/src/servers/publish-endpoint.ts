import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { channelForType, parsePublishRequest, type ChannelName, type PublishEvent } from '@ns/contracts';

/** An event as the baseline servers deliver it: the gateway's envelope shape (docs/protocol.md#envelope), same size. */
export interface BaselineEnvelope {
  type: PublishEvent['type'];
  channel: ChannelName;
  id: string;
  seq: number;
  epoch: string;
  ts: number;
  data: PublishEvent['data'];
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The `POST /v1/publish` endpoint of the baseline servers: the gateway's call shape (`{type, data, id?}`
 * or `{events: […]}`), validated by the same `@ns/contracts` parser, so that every server under test
 * gets the same input and does the same validation; the difference measured is what happens after it.
 * Also answers `GET /healthz`. Everything else is 404.
 */
export function publishEndpoint(broadcast: (event: BaselineEnvelope) => void): { handle: (req: IncomingMessage, res: ServerResponse) => void; head: () => { epoch: string; seq: number } } {
  const epoch = randomBytes(4).toString('hex');
  const seqs = new Map<ChannelName, number>();
  let counter = 0;
  // `evt_` + 26 characters, the length of the gateway's ULID ids, so frames have the same size.
  const prefix = `evt_${Array.from(randomBytes(10), (b) => CROCKFORD[b & 31]).join('')}`;
  const newId = () => `${prefix}${(++counter).toString(32).toUpperCase().padStart(16, '0')}`;

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/healthz') return reply(res, 200, { status: 'ok' });
    if (req.method !== 'POST' || req.url !== '/v1/publish') return reply(res, 404, { error: { code: 'not_found', message: 'not found' } });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        return reply(res, 400, { error: { code: 'invalid_json', message: 'body is not JSON' } });
      }
      const parsed = parsePublishRequest(body);
      if (!parsed.success) return reply(res, 400, { error: { code: parsed.error.code, message: parsed.error.message } });
      const ts = Date.now() / 1000;
      const results = parsed.data.events.map((e) => {
        const channel = channelForType(e.type);
        const seq = (seqs.get(channel) ?? 0) + 1;
        seqs.set(channel, seq);
        const envelope: BaselineEnvelope = { type: e.type, channel, id: e.id ?? newId(), seq, epoch, ts, data: e.data };
        broadcast(envelope);
        return { id: envelope.id, channel, seq };
      });
      reply(res, 202, { results });
    });
  };
  return { handle, head: () => ({ epoch, seq: seqs.get('threats') ?? 0 }) };
}

/** The readiness line every server under test prints on stderr (the gateway's banner has the same). */
export function announce(port: number): void {
  process.stderr.write(`listening on http://127.0.0.1:${port}\n`);
}

/** Baseline servers end at once on SIGTERM/SIGINT: they hold nothing worth draining. */
export function exitOnSignal(): void {
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}
