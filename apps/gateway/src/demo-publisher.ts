import type { Logger } from 'pino';
import { DemoTraffic } from './demo-traffic.js';

/** Options of {@link startDemoPublisher}. */
export interface DemoPublisherOptions {
  /** Gateway base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** API key (one of NS_PUBLISH_KEYS), when publishing requires one. */
  apiKey?: string;
  logger: Logger;
  tickMs?: number;
  seed?: number;
}

/**
 * Publishes {@link DemoTraffic} through the real HTTP API (`POST /v1/publish`), exactly as the Python
 * processor would, so the console shows live threats at once. Returns the function that stops it.
 */
export function startDemoPublisher(options: DemoPublisherOptions): () => Promise<void> {
  const traffic = new DemoTraffic(options.seed ?? Date.now() % 100_000);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  const log = options.logger.child({ component: 'demo-publisher' });
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let published = 0;

  const tick = async () => {
    const events = traffic.tick(Date.now() / 1000);
    if (events.length === 0) return;
    try {
      const res = await fetch(`${options.url}/v1/publish`, { method: 'POST', headers, body: JSON.stringify({ events }) });
      if (res.status === 202) {
        published += events.length;
        return;
      }
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      log.warn({ status: res.status, code: body.error?.code }, `demo publish refused: ${body.error?.message ?? res.statusText}`);
      if (res.status === 401 || res.status === 403) stop();
    } catch (err) {
      if (!stopped) log.warn({ err }, 'demo publish failed');
    }
  };

  const timer = setInterval(() => {
    inFlight = inFlight.then(tick);
  }, options.tickMs ?? 250);
  const status = setInterval(() => log.info({ published }, 'demo traffic'), 30_000);
  status.unref();
  log.info({ url: options.url }, 'demo publisher started: synthetic NetSentinel traffic through POST /v1/publish');

  function stop(): Promise<void> {
    stopped = true;
    clearInterval(timer);
    clearInterval(status);
    return inFlight;
  }
  return stop;
}
