import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import type { PublishEvent, PublishResult } from '@ns/contracts';
import { CliError, EXIT } from './exit-codes.js';
import { readEventsInput, validateEvents } from './publish-input.js';

/** Options of {@link publishCommand}. */
export interface PublishCommandOptions {
  source: string;
  url: string;
  key: string | undefined;
  batchSize: number;
  printResults: boolean;
  quiet: boolean;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const MAX_ATTEMPTS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ErrorBodyLike {
  error?: { code?: string; message?: string; issues?: { path: string; message: string }[] };
}

/**
 * `ns-gateway publish <file|->`: validates every event locally (nothing is sent if any is invalid),
 * then posts batches to `POST /v1/publish`, showing progress. 429 and 503 mean "nothing was stored"
 * and are retried with backoff; anything else stops the run with a meaningful exit code.
 */
export async function publishCommand(o: PublishCommandOptions): Promise<number> {
  let input: string;
  try {
    input = o.source === '-' ? await text(o.stdin) : await readFile(o.source, 'utf8');
  } catch (err) {
    throw new CliError(EXIT.USAGE, `cannot read ${o.source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const values = readEventsInput(input);
  const checked = validateEvents(values, o.batchSize);
  if ('issues' in checked) {
    for (const i of checked.issues.slice(0, 20)) o.stderr.write(`${i.where}: ${i.path}: ${i.message}\n`);
    if (checked.issues.length > 20) o.stderr.write(`… and ${checked.issues.length - 20} more\n`);
    throw new CliError(EXIT.FAILED, `${checked.issues.length} invalid event field(s); nothing was published`);
  }

  const total = values.length;
  let done = 0;
  const started = Date.now();
  // A terminal gets one line rewritten in place; a log gets a line per request of a multi-request run.
  const progress = () => {
    if (o.quiet) return;
    const line = `published ${done}/${total} events`;
    if (o.stderr.isTTY) o.stderr.write(`\r${line}`);
    else if (checked.batches.length > 1) o.stderr.write(`${line}\n`);
  };
  for (const batch of checked.batches) {
    const results = await postBatch(o, batch);
    done += results.length;
    if (o.printResults) for (const r of results) o.stdout.write(`${JSON.stringify(r)}\n`);
    progress();
  }
  if (!o.quiet) {
    if (o.stderr.isTTY) o.stderr.write('\n');
    o.stderr.write(`done: ${done} events in ${checked.batches.length} request(s), ${((Date.now() - started) / 1000).toFixed(2)} s\n`);
  }
  return EXIT.OK;
}

async function postBatch(o: PublishCommandOptions, events: PublishEvent[]): Promise<PublishResult[]> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.key !== undefined) headers.authorization = `Bearer ${o.key}`;
  const body = JSON.stringify(events.length === 1 ? events[0] : { events });
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(new URL('/v1/publish', o.url), { method: 'POST', headers, body });
    } catch (err) {
      // The request may or may not have reached the gateway: not retried, to never publish twice.
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(EXIT.UNAVAILABLE, `cannot reach ${o.url}: ${cause}`);
    }
    if (res.status === 202) return ((await res.json()) as { results: PublishResult[] }).results;
    const payload = (await res.json().catch(() => ({}))) as ErrorBodyLike;
    const message = payload.error?.message ?? res.statusText;
    if ((res.status === 429 || res.status === 503) && attempt < MAX_ATTEMPTS) {
      const retryAfter = Number(res.headers.get('retry-after'));
      const waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 250 * 2 ** attempt;
      if (!o.quiet) o.stderr.write(`${res.status} ${message}; retrying in ${(waitMs / 1000).toFixed(1)} s\n`);
      await sleep(waitMs);
      continue;
    }
    if (res.status === 401 || res.status === 403) throw new CliError(EXIT.AUTH, `${res.status}: ${message}`);
    if (res.status >= 500) throw new CliError(EXIT.UNAVAILABLE, `${res.status}: ${message}`);
    for (const i of payload.error?.issues?.slice(0, 20) ?? []) o.stderr.write(`${i.path}: ${i.message}\n`);
    throw new CliError(EXIT.FAILED, `${res.status}: ${message}`);
  }
}
