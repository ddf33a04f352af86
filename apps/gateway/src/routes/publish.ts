import { NsError, parsePublishRequest, type PublishResponse, type ValidPublishEvent } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import type { HttpAuth } from '../http-auth.js';
import type { Lifecycle } from '../lifecycle.js';
import type { GatewayMetrics } from '../metrics.js';
import type { PublishingBus } from '../ports.js';

/** Options of {@link registerPublishRoute}. */
export interface PublishRouteOptions {
  bus: PublishingBus;
  auth: HttpAuth;
  lifecycle: Lifecycle;
  metrics: GatewayMetrics;
  /** Requests per client per second before 429. */
  ratePerSecond: number;
}

/**
 * `POST /v1/publish` (docs/protocol.md#http-api): one event `{type, data, id?}` or `{events: [...]}` (≤ 1000). Order of
 * checks: draining (503) → credentials (401/403), both before the body is read → validation of every
 * event (400/413, nothing published) → one atomic append (409 `id_conflict` when an id names a
 * different event, nothing published; 503 when the engine is down, with `details.outcome: 'unknown'`
 * and the ids when the events may have been stored) → 202 `{results}`, a repeat marked `duplicate: true`.
 */
export function registerPublishRoute(app: FastifyInstance, o: PublishRouteOptions): void {
  app.post(
    '/v1/publish',
    {
      config: { rateLimit: { max: o.ratePerSecond, timeWindow: 1000 } },
      // Before the body is read: a draining gateway or a bad or missing credential is answered at
      // once, without buffering and parsing up to 4 MiB for a client with no right to publish.
      onRequest: (req, _reply, done) => {
        try {
          if (o.lifecycle.draining) throw new NsError('unavailable', 'gateway is shutting down; publish to another instance');
          const verifying = o.auth.checkPublish(req);
          if (verifying === undefined) done();
          else verifying.then(() => done(), done);
        } catch (err) {
          done(err as Error);
        }
      },
      onResponse: async (_req, reply) => {
        o.metrics.httpPublishDuration.observe({ status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      },
    },
    async (req, reply) => {
      // Go on from a fresh microtask, once the body parser's frames have unwound: their raw chunks,
      // concatenated body and decoded text (several MB for a large batch) can then be collected while
      // the batch is validated and fanned out. Running on in the parser's stack (as when credentials
      // were awaited here) raised peak RSS by ~35 MB with 3 MB batches to 20 slow clients (measured).
      await Promise.resolve();
      // Validated once, here: the bus trusts the parser's events and reuses their serialized data.
      const parsed = parsePublishRequest(req.body);
      if (!parsed.success) throw parsed.error;
      // Readiness is the engine's to decide: a down engine rejects the append with `unavailable` (503).
      // A single event is published as one (errors name `id`), a batch as a batch (`events[i].id`).
      const { events, batch } = parsed.data;
      const results = batch ? await o.bus.publishBatch(events) : [await o.bus.publish(events[0] as ValidPublishEvent)];
      const body: PublishResponse = { results };
      return reply.code(202).send(body);
    },
  );
}
