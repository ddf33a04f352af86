import cluster, { type Worker } from 'node:cluster';
import type { GatewayConfig } from '../config.js';

/**
 * NS_WORKERS > 1: the primary forks that many gateway processes sharing the port (node:cluster) and a
 * shared engine (NS_ENGINE=redis, enforced by the config). A worker that dies unexpectedly is
 * replaced after a short backoff; SIGTERM/SIGINT is passed to every worker, which drains on its own.
 */
export function runPrimary(config: GatewayConfig, stderr: NodeJS.WritableStream): Promise<number> {
  let stopping = false;
  let failures = 0;
  const fork = (): Worker => cluster.fork();
  for (let i = 0; i < config.workers; i++) fork();
  stderr.write(`ns-gateway primary ${process.pid}: ${config.workers} workers on ${config.host}:${config.port}\n`);

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    failures++;
    const delay = Math.min(10_000, 250 * 2 ** Math.min(failures, 6));
    stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); replacing it in ${delay} ms\n`);
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });
  cluster.on('listening', () => {
    failures = 0;
  });

  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      let alive = workers.length;
      let worst = 0;
      if (alive === 0) resolve(0);
      for (const w of workers) {
        w.once('exit', (code) => {
          worst = Math.max(worst, code ?? 1);
          if (--alive === 0) resolve(worst);
        });
        w.process.kill(signal);
      }
      // Workers exit within their own grace period; this only guards against a stuck one.
      setTimeout(() => resolve(1), config.shutdownGraceS * 1000 + 2000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
