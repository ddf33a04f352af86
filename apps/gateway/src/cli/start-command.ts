import cluster from 'node:cluster';
import { ConfigError, type GatewayConfig } from '../config.js';
import { startDemoPublisher } from '../demo-publisher.js';
import { createGateway } from '../gateway.js';
import { createLogger } from '../logger.js';
import { handleShutdownSignals } from '../shutdown.js';
import { runPrimary } from './workers.js';
import { loadCliConfig } from './check-config-command.js';
import { CliError, EXIT } from './exit-codes.js';

/** Options of {@link startCommand}. */
export interface StartCommandOptions {
  demo: boolean;
  env: Readonly<Record<string, string | undefined>>;
  stderr: NodeJS.WritableStream;
}

/**
 * `ns-gateway start`: validates the configuration (one line naming the variable, exit 2), starts the
 * gateway (or NS_WORKERS processes), prints the banner, and drains on SIGTERM/SIGINT. Resolves only
 * when start-up fails; a running gateway ends the process from its signal handler.
 */
export async function startCommand(o: StartCommandOptions): Promise<number | 'running'> {
  let config = loadCliConfig(o.env);
  // `--demo` is a local development choice: on loopback with no key configured, the console should
  // show every channel, so the demo turns auth off (the banner says so). With a key, auth stays on.
  if (o.demo && config.auth.mode === 'local') config = { ...config, auth: { mode: 'none' } };
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, o.stderr);

  const logger = createLogger(config.logLevel, { format: config.logFormat });
  let gateway;
  try {
    gateway = await createGateway(config, { logger });
  } catch (err) {
    // A cluster worker lives as long as its IPC channel: let it go, so it ends with its exit code.
    cluster.worker?.disconnect();
    if (err instanceof ConfigError) throw new CliError(EXIT.USAGE, `config error: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliError(EXIT.FAILED, `NS_PORT/NS_HOST: cannot listen on ${config.host}:${config.port} (${code})`);
    }
    throw err;
  }
  // Only the first worker speaks for the cluster (and runs the demo).
  const speaker = !cluster.isWorker || cluster.worker?.id === 1;
  let stopDemo: (() => Promise<void>) | undefined;
  if (o.demo && speaker) {
    const apiKey = config.publishKeys[0]?.reveal();
    stopDemo = startDemoPublisher({ url: gateway.url, logger, ...(apiKey === undefined ? {} : { apiKey }) });
  }
  const running = gateway;
  // Before the banner: whoever waits for it may signal at once, and a SIGTERM that found no handler
  // would end the process by the default action (no drain, no 1001, no flushed logs).
  handleShutdownSignals(
    {
      close: async (opts) => {
        await stopDemo?.();
        await running.close(opts);
      },
    },
    { graceMs: config.shutdownGraceS * 1000, logger },
  );
  // One write, so a reader waiting for the "listening on" line gets the whole banner with it.
  const demoLine = stopDemo === undefined ? [] : ['  demo        publishing synthetic NetSentinel traffic through POST /v1/publish'];
  if (speaker) o.stderr.write(`${[...gateway.describe(), ...demoLine].join('\n')}\n`);
  return 'running';
}
