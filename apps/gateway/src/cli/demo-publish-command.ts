import { once } from 'node:events';
import type { LogFormat } from '../config.js';
import { startDemoPublisher } from '../demo-publisher.js';
import { createLogger } from '../logger.js';
import { EXIT } from './exit-codes.js';

/** Options of {@link demoPublishCommand}. */
export interface DemoPublishCommandOptions {
  url: string;
  key: string | undefined;
  logFormat: LogFormat | undefined;
}

/**
 * `ns-gateway demo-publish`: publishes the synthetic NetSentinel traffic of `start --demo` to a
 * gateway elsewhere (the demo service of deploy/compose.yaml) until SIGTERM/SIGINT, then exits 0.
 */
export async function demoPublishCommand(o: DemoPublishCommandOptions): Promise<number> {
  const logger = createLogger('info', { format: o.logFormat });
  const stop = startDemoPublisher({ url: o.url.replace(/\/$/, ''), logger, ...(o.key === undefined ? {} : { apiKey: o.key }) });
  await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  await stop();
  return EXIT.OK;
}
