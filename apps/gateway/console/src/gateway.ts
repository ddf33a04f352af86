import type { AlertAction, AlertActionResponse, HistoryResponse, PresenceResponse } from '@ns/contracts';
import { CLOSE_CODE_TABLE, type ChannelName } from '@ns/contracts/wire';
import { createClient, type NsClient } from '@ns/ws-client';
import { byId } from './dom.js';

// Everything the console says to the gateway: the one place the WebSocket client is built, and the
// HTTP calls (history, alert actions), each with the token from the Token field.

/** The Token field's value, read each time it is needed: a token pasted later is used next time. */
export function currentToken(): string | undefined {
  const value = byId<HTMLInputElement>('token').value.trim();
  return value === '' ? undefined : value;
}

/**
 * The console's client, on the gateway that served the page: WebSocket, carrying on over Server-Sent
 * Events when a proxy breaks the WebSocket handshake (`auto`); the page shows which is in use.
 */
export function openClient(): NsClient {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return createClient({ url: `${scheme}//${location.host}/ws`, getToken: currentToken, transport: 'auto' });
}

/** What a close code means, from the contracts' wire table (`CLOSE_CODE_TABLE`). */
export function closeMeaning(code: number | undefined): string | undefined {
  return Object.values(CLOSE_CODE_TABLE).find((row) => row.code === code)?.meaning;
}

/** An error answer of the HTTP API, with its contract code (`forbidden`, `invalid_message` …). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const token = currentToken();
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) throw new ApiError(res.status, json?.error?.code ?? 'http', json?.error?.message ?? `HTTP ${res.status}`);
  return json as T;
}

/** The channel's retained events after `sinceSeq` (`GET /v1/channels/{channel}/history`). */
export function fetchHistory(channel: ChannelName, sinceSeq: number, limit: number): Promise<HistoryResponse> {
  return call('GET', `/v1/channels/${channel}/history?since_seq=${sinceSeq}&limit=${limit}`);
}

/** Every channel's current epoch and seq, its subscribers and users (`GET /v1/channels`). */
export async function fetchHeads(): Promise<Map<string, { epoch: string | null; seq: number; subscribers: number; users?: number }>> {
  const { channels } = await call<{ channels: { name: string; epoch: string | null; seq: number; subscribers: number; users?: number }[] }>('GET', '/v1/channels');
  return new Map(channels.map((c) => [c.name, c]));
}

/** The users subscribed to a channel on every instance (`GET /v1/presence/{channel}`, needs `admin`). */
export function fetchPresence(channel: ChannelName): Promise<PresenceResponse> {
  return call('GET', `/v1/presence/${channel}`);
}

/** Acknowledges or resolves an alert (`POST /v1/alerts/{id}/{action}`, needs `write:alerts`). */
export function alertAction(id: string, action: AlertAction, note?: string): Promise<AlertActionResponse> {
  return call('POST', `/v1/alerts/${encodeURIComponent(id)}/${action}`, note === undefined || note === '' ? {} : { note });
}
