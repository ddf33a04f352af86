import { connect } from 'node:net';

/** A JSON body as loosely typed data: tests assert on its shape. */
export type Body = Record<string, any>;

/** Valid event data for each type a test publishes. */
export const threatData = (i = 0, extra: Record<string, unknown> = {}) => ({
  source_ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
  threat_score: 5 + (i % 5),
  threat_level: 'high',
  timestamp: 1_764_115_200 + i,
  ...extra,
});
export const alertData = (i = 0) => ({ id: `alert-${i}`, severity: 'critical', message: `intrusion ${i}`, timestamp: 1_764_115_200 + i });

/** POSTs `body` (an object, or raw text/bytes sent as-is) to /v1/publish. */
export async function publish(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> {
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(`${url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
  const text = await res.text();
  let parsed: Body;
  try {
    parsed = JSON.parse(text) as Body;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

/** GETs a JSON document. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Body };
}

/** Sum of a Prometheus series' samples whose labels include `labels` (0 when absent). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** Subscriber counts per channel from GET /v1/channels. */
export async function subscribers(url: string): Promise<Record<string, number>> {
  const { body } = await getJson(`${url}/v1/channels`);
  return Object.fromEntries((body.channels as { name: string; subscribers: number }[]).map((c) => [c.name, c.subscribers]));
}

/**
 * POSTs `body` to /v1/publish over a raw socket and reads the answer even when the server answers
 * before the body is sent (an early 413 on Content-Length), which fetch reports only as EPIPE.
 */
export function rawPublish(port: number, body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const head = Object.entries({ Host: `127.0.0.1:${port}`, 'Content-Type': 'application/json', 'Content-Length': String(payload.length), Connection: 'close', ...headers })
    .filter(([, v]) => v !== '') // an empty value leaves the header out
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.on('error', () => {}); // EPIPE/ECONNRESET while the unread rest of the body is refused
    socket.on('data', (d: Buffer) => (response += d.toString()));
    socket.once('connect', () => {
      socket.write(`POST /v1/publish HTTP/1.1\r\n${head}\r\n`);
      socket.write(payload);
    });
    socket.once('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
      if (!(status > 0)) {
        reject(new Error(`no HTTP response (${JSON.stringify(response.slice(0, 200))})`));
        return;
      }
      const text = response.slice(response.indexOf('\r\n\r\n') + 4);
      let parsed: Body;
      try {
        parsed = JSON.parse(text) as Body;
      } catch {
        parsed = { text };
      }
      resolve({ status, body: parsed });
    });
  });
}
