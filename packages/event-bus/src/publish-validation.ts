import { NsError, parsePublishRequest, type PublishEvent } from '@ns/contracts';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates one event as a publisher sends it (`{type, data, id?}`) with the contracts' parser.
 * Throws `NsError` (`invalid_message`, `unknown_type`, `message_too_large`) naming the field.
 */
export function validatePublishEvent(event: unknown): PublishEvent {
  // parsePublishRequest reads `{events: [...]}` as a batch; a single event never has that field.
  if (isPlainObject(event) && 'events' in event) {
    throw new NsError('invalid_message', 'events: unknown field "events" (use publishBatch for batches)', {
      issues: [{ path: 'events', code: 'unrecognized_keys', message: 'unknown field "events"' }],
    });
  }
  const parsed = parsePublishRequest(event);
  if (!parsed.success) throw parsed.error;
  return parsed.data.events[0] as PublishEvent;
}

/**
 * Validates a batch, all events first: any invalid one throws one `NsError` with per-index issues
 * (`events[3].data.source_ip`). At most `MAX_BATCH_EVENTS` (1000), like `POST /v1/publish`.
 */
export function validatePublishBatch(events: readonly unknown[]): PublishEvent[] {
  if (!Array.isArray(events)) {
    throw new NsError('invalid_message', 'events: must be an array', {
      issues: [{ path: 'events', code: 'invalid_type', message: 'events must be an array' }],
    });
  }
  if (events.length === 0) return [];
  const parsed = parsePublishRequest({ events });
  if (!parsed.success) throw parsed.error;
  return parsed.data.events;
}
