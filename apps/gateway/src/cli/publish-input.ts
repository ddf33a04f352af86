import { MAX_BATCH_EVENTS, parseJson, parsePublishRequest, type PublishEvent } from '@ns/contracts';
import { CliError, EXIT } from './exit-codes.js';

/** One event read from the input, with where it came from (for messages). */
export interface SourcedValue {
  value: unknown;
  /** `line 12` (NDJSON), `item 3` (array), `events[3]` (batch object) or `the event`. */
  where: string;
}

/** One problem found in the input, located. */
export interface InputIssue {
  where: string;
  path: string;
  message: string;
}

/**
 * Reads publish input: one JSON event, a JSON array, a `{"events": [...]}` batch, or NDJSON (one event
 * per line; blank lines ignored). Throws {@link CliError} (usage) when the text is not any of those.
 */
export function readEventsInput(text: string): SourcedValue[] {
  if (text.trim() === '') throw new CliError(EXIT.USAGE, 'the input holds no events');
  const whole = parseJson(text);
  if (whole.success) {
    const v = whole.data;
    if (Array.isArray(v)) return v.map((value, i) => ({ value, where: `item ${i + 1}` }));
    if (typeof v === 'object' && v !== null && Array.isArray((v as { events?: unknown }).events)) {
      return ((v as { events: unknown[] }).events).map((value, i) => ({ value, where: `events[${i}]` }));
    }
    if (typeof v === 'object' && v !== null) return [{ value: v, where: 'the event' }];
    throw new CliError(EXIT.USAGE, 'the input must be a JSON object, an array of events, or NDJSON');
  }
  const out: SourcedValue[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const parsed = parseJson(line);
    if (!parsed.success) throw new CliError(EXIT.USAGE, `line ${i + 1}: not valid JSON (${parsed.error.message.replace(/^\(root\): /, '')})`);
    out.push({ value: parsed.data, where: `line ${i + 1}` });
  }
  return out;
}

/**
 * Validates every event with the contracts (the same parser the gateway runs) and splits them into
 * batches of at most `batchSize`. Returns the batches, or every issue located in the input.
 */
export function validateEvents(values: readonly SourcedValue[], batchSize = MAX_BATCH_EVENTS): { batches: PublishEvent[][] } | { issues: InputIssue[] } {
  const size = Math.max(1, Math.min(MAX_BATCH_EVENTS, batchSize));
  const batches: PublishEvent[][] = [];
  const issues: InputIssue[] = [];
  for (let start = 0; start < values.length; start += size) {
    const chunk = values.slice(start, start + size);
    const parsed = parsePublishRequest({ events: chunk.map((c) => c.value) });
    if (parsed.success) {
      batches.push(parsed.data.events);
      continue;
    }
    for (const issue of parsed.error.issues ?? []) {
      const where = issue.index === undefined ? 'input' : (chunk[issue.index]?.where ?? `event ${start + issue.index + 1}`);
      issues.push({ where, path: issue.path.replace(/^events\[\d+\]\.?/, '') || '(event)', message: issue.message });
    }
  }
  return issues.length > 0 ? { issues } : { batches };
}
