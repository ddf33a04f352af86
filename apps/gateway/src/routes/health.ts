import { NsError, type HealthResponse, type ReadyResponse } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import type { Lifecycle } from '../lifecycle.js';

/**
 * `/healthz`: liveness — the process answers. `/readyz`: readiness — the engine is connected and the
 * gateway is not draining; a 503 tells the load balancer to send traffic elsewhere.
 */
export function registerHealthRoutes(app: FastifyInstance, lifecycle: Lifecycle, engineName: string): void {
  app.get('/healthz', async (): Promise<HealthResponse> => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const engine = lifecycle.engineReady ? 'ready' : 'down';
    if (lifecycle.ready) return reply.send({ status: 'ready', engine: engineName } satisfies ReadyResponse);
    const why = lifecycle.draining ? 'gateway is draining' : `engine ${engineName} is down`;
    return reply.code(503).send(new NsError('unavailable', why, { details: { engine, draining: lifecycle.draining } }).toBody());
  });
}
