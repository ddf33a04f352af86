import { isValidPublishEvent, MAX_BATCH_EVENTS, NsError, parsePublishRequest, type ValidPublishEvent } from '@ns/contracts';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates one event as a publisher sends it (`{type, data, id?}`) with the contracts' parser, unless
 * that parser already accepted it (a {@link ValidPublishEvent}, trusted as it is). Throws `NsError`
 * (`invalid_message`, `unknown_type`, `message_too_large`) naming the field.
 */
export function validatePublishEvent(event: unknown): ValidPublishEvent {
  if (isValidPublishEvent(event)) return event as ValidPublishEvent;
  // parsePublishRequest reads `{events: [...]}` as a batch; a single event never has that field.
  if (isPlainObject(event) && 'events' in event) {
    throw new NsError('invalid_message', 'events: unknown field "events" (use publishBatch for batches)', {
      issues: [{ path: 'events', code: 'unrecognized_keys', message: 'unknown field "events"' }],
    });
  }
  const parsed = parsePublishRequest(event);
  if (!parsed.success) throw parsed.error;
  return parsed.data.events[0] as ValidPublishEvent;
}

/**
 * Validates a batch, all events first: any invalid one throws one `NsError` with per-index issues
 * (`events[3].data.source_ip`). At most `MAX_BATCH_EVENTS` (1000), like `POST /v1/publish`. A batch
 * of events the parser already accepted (e.g. by the publish route) is trusted as it is.
 */
export function validatePublishBatch(events: readonly unknown[]): ValidPublishEvent[] {
  if (Array.isArray(events) && events.length <= MAX_BATCH_EVENTS && events.every(isValidPublishEvent)) return events as ValidPublishEvent[];
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
