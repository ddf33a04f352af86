import { CHANNEL_NAMES, CHANNELS, isChannelName, issuesFromZod, type ChannelName, type EventEnvelope } from '@ns/contracts';
import { createClient, type WebSocketConstructor } from '@ns/ws-client';
import { WebSocket } from 'ws';
import { wsUrlOf } from '../urls.js';
import { CliError, EXIT } from './exit-codes.js';
import { formatEvent } from './tail-format.js';

/** Options of {@link tailCommand}. */
export interface TailCommandOptions {
  channels: string[];
  /** `--filter` values: `<json>` for every channel or `<channel>=<json>`. */
  filters: string[];
  url: string;
  token: string | undefined;
  format: 'json' | 'pretty';
  color: boolean;
  count: number | undefined;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). */
  interrupted: Promise<unknown>;
}

/** Resolves the channel list and per-channel filters, validated with the contracts' filter schemas. */
export function planSubscriptions(channels: readonly string[], filters: readonly string[]): Map<ChannelName, object | undefined> {
  if (channels.length === 0) throw new CliError(EXIT.USAGE, `tail needs at least one channel: ${CHANNEL_NAMES.join(', ')} or all`);
  const names = channels.includes('all') ? [...CHANNEL_NAMES] : channels;
  const plan = new Map<ChannelName, object | undefined>();
  for (const c of names) {
    if (!isChannelName(c)) throw new CliError(EXIT.USAGE, `unknown channel "${c}"; channels: ${CHANNEL_NAMES.join(', ')}`);
    plan.set(c, undefined);
  }
  for (const f of filters) {
    const m = /^([a-z]+)=(.*)$/s.exec(f);
    const target = m !== null && isChannelName(m[1]) ? [m[1]] : [...plan.keys()];
    const text = m !== null && isChannelName(m[1]) ? (m[2] as string) : f;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CliError(EXIT.USAGE, `--filter ${f}: not valid JSON`);
    }
    for (const channel of target) {
      if (!plan.has(channel)) throw new CliError(EXIT.USAGE, `--filter names ${channel}, which is not tailed`);
      const parsed = CHANNELS[channel].filter.safeParse(value);
      if (!parsed.success) {
        const issue = issuesFromZod(parsed.error)[0];
        throw new CliError(EXIT.USAGE, `--filter for ${channel}: ${issue?.path}: ${issue?.message}`);
      }
      plan.set(channel, parsed.data as object);
    }
  }
  return plan;
}

/**
 * `ns-gateway tail <channel…>`: subscribes with the reconnecting client (@ns/ws-client, which resumes
 * with `since` after a drop, so a gateway restart loses nothing retained) and prints each event as it
 * arrives. Connection news goes to stderr, events to stdout.
 */
export async function tailCommand(o: TailCommandOptions): Promise<number> {
  const plan = planSubscriptions(o.channels, o.filters);
  const url = wsUrlOf(o.url);
  const client = createClient({
    url,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    ...(o.token === undefined ? {} : { token: o.token }),
  });
  let printed = 0;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const print = (e: EventEnvelope) => {
    o.stdout.write(`${o.format === 'json' ? JSON.stringify(e) : formatEvent(e, o.color)}\n`);
    printed++;
    if (o.count !== undefined && printed >= o.count) finish(EXIT.OK);
  };
  for (const [channel, filter] of plan) {
    client.subscribe(channel, filter === undefined ? {} : { filter: filter as never }, print as (e: EventEnvelope) => void);
  }

  client.on('state', (s) => {
    if (s.state === 'open') o.stderr.write(`connected to ${url}; tailing ${[...plan.keys()].join(', ')}\n`);
    else if (s.state === 'reconnecting') {
      o.stderr.write(`connection ${s.closeCode === undefined ? 'failed' : `closed (${s.closeCode}${s.reason ? ` ${s.reason}` : ''})`}; retrying in ${((s.delayMs ?? 0) / 1000).toFixed(1)} s\n`);
    } else if (s.state === 'closed' && s.closeCode !== undefined) {
      const auth = s.closeCode === 4001 || s.closeCode === 4003 || s.closeCode === 1008;
      o.stderr.write(`closed by the gateway (${s.closeCode}${s.reason ? ` ${s.reason}` : ''})\n`);
      finish(auth ? EXIT.AUTH : EXIT.FAILED);
    }
  });
  client.on('subscribed', (m) => o.stderr.write(`subscribed to ${m.channel} at seq ${m.seq}${m.replayed > 0 ? ` (replaying ${m.replayed})` : ''}\n`));
  client.on('gap', (g) => o.stderr.write(`warning: ${g.channel} resumed without the events between seq ${g.since?.seq ?? '?'} and ${g.seq} (${g.reason})\n`));
  client.on('error', (err) => {
    o.stderr.write(`error: ${err.code}: ${err.message}\n`);
    if (err.source !== 'server' || err.channel === undefined) return;
    if (err.code === 'unauthorized' || err.code === 'forbidden' || err.code === 'token_expired') finish(EXIT.AUTH);
    else if (err.code === 'invalid_message' || err.code === 'unknown_channel') finish(EXIT.USAGE);
  });

  const code = await Promise.race([finished, o.interrupted.then(() => EXIT.OK)]);
  client.close();
  return code;
}
