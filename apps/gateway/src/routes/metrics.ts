import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../metrics.js';

/** `GET /metrics`: Prometheus text exposition. */
export function registerMetricsRoute(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
}
