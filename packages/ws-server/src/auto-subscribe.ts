import { isChannelName, type ChannelName, type NsError } from '@ns/contracts';
import type { Connection } from '@ns/ws-manager';
import type { Logger } from 'pino';
import { clip } from './log-fields.js';
import type { TokenBucket } from './rate-limits.js';
import type { SessionContext } from './session-context.js';

// Unknown `?subscribe=` names quoted in the one error that refuses them.
const MAX_NAMED_UNKNOWN = 10;

/** The `unknown_channel` error refusing every unknown name of a `?subscribe=` list at once. */
export interface UnknownChannels {
  readonly message: string;
  readonly details: { channels: string[]; count: number };
}

/**
 * Splits the channels of `?subscribe=` into known ones — distinct, in first-seen order, so at most one
 * subscribe per channel however long the URL is — and one error naming the unknown ones (the first
 * ten, each clipped to 64 characters).
 */
export function parseAutoSubscribe(names: readonly string[]): { channels: ChannelName[]; unknown: UnknownChannels | undefined } {
  const distinct = [...new Set(names)];
  const channels = distinct.filter((n): n is ChannelName => isChannelName(n));
  const unknownNames = distinct.filter((n) => !isChannelName(n));
  if (unknownNames.length === 0) return { channels, unknown: undefined };
  const shown = unknownNames.slice(0, MAX_NAMED_UNKNOWN).map((n) => n.slice(0, 64));
  const more = unknownNames.length > shown.length ? ` and ${unknownNames.length - shown.length} more` : '';
  const listed = shown.map((n) => JSON.stringify(n)).join(', ');
  return {
    channels,
    unknown: {
      message: `unknown channel${unknownNames.length === 1 ? '' : 's'} in ?subscribe=: ${listed}${more}`,
      details: { channels: shown, count: unknownNames.length },
    },
  };
}

/** What {@link subscribeListed} needs of the session that runs it. */
export interface AutoSubscribeTarget {
  connection: Connection;
  ctx: SessionContext;
  /** The session's inbound message bucket: each listed channel costs one message. */
  bucket: TokenBucket;
  log: Logger;
  error(code: NsError['code'], message: string, details?: Record<string, unknown>): void;
}

/**
 * Subscribes the channels of `?subscribe=` once the connection may read them: unknown names refused in
 * one `error`, each known channel charged to the connection's message rate like a `subscribe` frame.
 */
export async function subscribeListed(names: readonly string[], t: AutoSubscribeTarget): Promise<void> {
  const { channels, unknown } = parseAutoSubscribe(names);
  if (unknown !== undefined) {
    t.error('unknown_channel', unknown.message, unknown.details);
    t.log.info({ unknown: unknown.details.count, first: clip(unknown.details.channels[0], 64) }, 'unknown channels in ?subscribe=');
  }
  for (const channel of channels) {
    const waitMs = t.bucket.take();
    if (waitMs > 0) {
      t.ctx.counters.rateLimitedMessages++;
      t.error('rate_limited', `?subscribe=${channel} refused: more than ${t.ctx.clientMessageRate} messages per second`, { channel, retry_after_ms: waitMs });
      continue;
    }
    t.log.info({ channel, auto: true }, 'subscribe');
    await t.ctx.manager.handle(t.connection, { type: 'subscribe', channel });
  }
}
