import cluster, { type Worker } from 'node:cluster';
import { constants } from 'node:os';
import { serveClusterMetrics, serveClusterStats } from '../cluster-metrics.js';
import type { GatewayConfig } from '../config.js';
import { DRAIN_MESSAGE } from '../shutdown.js';
import { randomBytes } from 'node:crypto';
import { TICKET_KEY_ENV } from '../stream-tickets.js';

/** Exit code of a primary ended by a second signal (shell convention: 128 + signal number). */
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * NS_WORKERS > 1: the primary forks that many gateway processes sharing the port (node:cluster hands
 * connections to them round-robin) and a shared engine (NS_ENGINE=redis, enforced by the config).
 *
 * - Start-up: if a worker exits before every worker listened once (port taken, Redis URL refused…),
 *   the same error would repeat, so the cluster stops and the primary exits with that worker's code.
 * - Later, a worker that dies is replaced after a backoff (250 ms doubling to 10 s, reset when one
 *   listens).
 * - SIGTERM/SIGINT: every worker is asked over IPC to drain (readiness false, notice, 1001, flush) and
 *   exits by itself; the primary exits with the worst worker code, 0 when all drained in time. IPC
 *   rather than a forwarded signal: a Ctrl-C in a terminal already signals the whole process group,
 *   and a second signal would make the workers skip their drain. A second signal to the primary is
 *   answered with SIGKILL to the workers: the operator wants out now.
 * - /metrics and /v1/channels' subscriber counts, whichever worker takes the request, answer for the
 *   whole cluster (see cluster-metrics.ts).
 */
export function runPrimary(config: GatewayConfig, stderr: NodeJS.WritableStream): Promise<number> {
  let stopping = false;
  let failures = 0;
  const listened = new Set<number>();
  let started = false;

  return new Promise((resolve) => {
    const alive = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    /** Worst exit code of the workers that drained; a start-up failure's code wins over it. */
    let worst = 0;
    let startupFailure: number | undefined;
    let finish = (code: number) => {
      finish = () => {};
      resolve(code);
    };
    const finished = () => finish(startupFailure ?? worst);

    const stop = (reason: string) => {
      stopping = true;
      const workers = alive();
      stderr.write(`ns-gateway primary ${process.pid}: ${reason}; draining ${workers.length} workers\n`);
      if (workers.length === 0) finished();
      for (const w of workers) {
        // One that never listened serves nobody and may not handle the request yet: end it.
        if (w.isConnected() && listened.has(w.id)) w.send(DRAIN_MESSAGE);
        else w.process.kill('SIGTERM');
      }
      // Workers exit within their own grace period; this only guards against a stuck one.
      setTimeout(() => {
        for (const w of alive()) w.process.kill('SIGKILL');
        finish(1);
      }, config.shutdownGraceS * 1000 + 2000).unref();
    };

    cluster.on('listening', (worker) => {
      failures = 0;
      listened.add(worker.id);
      if (listened.size >= config.workers) started = true;
    });
    cluster.on('exit', (worker, code, signal) => {
      const status = code ?? 128 + (constants.signals[signal as NodeJS.Signals] ?? 0);
      if (stopping) {
        if (listened.has(worker.id)) worst = Math.max(worst, status);
        if (alive().length === 0) finished();
        return;
      }
      if (!started) {
        startupFailure = status === 0 ? 1 : status;
        stop(`worker ${worker.process.pid} exited during start-up (${signal ?? code})`);
        return;
      }
      failures++;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(failures, 6));
      stderr.write(`ns-gateway primary ${process.pid}: worker ${worker.process.pid} exited (${signal ?? code}); replacing it in ${delay} ms\n`);
      setTimeout(() => {
        if (!stopping) cluster.fork();
      }, delay).unref();
    });

    const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
      if (!stopping) {
        stop(signal);
        return;
      }
      stderr.write(`ns-gateway primary ${process.pid}: second ${signal}; ending workers without finishing the drain\n`);
      for (const w of alive()) w.process.kill('SIGKILL');
      finish(SIGNAL_EXIT[signal]);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    serveClusterMetrics();
    serveClusterStats();
    // One stream-ticket key for every worker (inherited through the environment): a ticket issued by one
    // worker is redeemed by whichever takes the EventSource's connection.
    process.env[TICKET_KEY_ENV] ??= randomBytes(32).toString('base64url');
    for (let i = 0; i < config.workers; i++) cluster.fork();
    stderr.write(`ns-gateway primary ${process.pid}: ${config.workers} workers on ${config.host}:${config.port}\n`);
  });
}
