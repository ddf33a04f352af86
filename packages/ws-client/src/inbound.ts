import type { EventEnvelope, ServerControlMessage } from '@ns/contracts';

/** One inbound frame, classified. */
export type InboundFrame =
  | { readonly kind: 'control'; readonly message: ServerControlMessage }
  | { readonly kind: 'event'; readonly event: EventEnvelope }
  | { readonly kind: 'invalid'; readonly reason: string };

type Fields = Record<string, unknown>;

const isString = (v: unknown): v is string => typeof v === 'string';
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

// The fields the client reads from each control message. The gateway validated what it sent, so the
// client checks only what it relies on: a full zod parse per frame would cost more than the rest of
// the hot path together and pull zod into every browser bundle.
const CONTROL_CHECKS: Readonly<Record<ServerControlMessage['type'], (m: Fields) => boolean>> = {
  welcome: (m) => isString(m.connection_id),
  authenticated: (m) => typeof m.principal === 'object' && m.principal !== null,
  subscribed: (m) =>
    isString(m.channel) && isString(m.epoch) && isSeq(m.seq) && typeof m.recovered === 'boolean' && isSeq(m.replayed),
  unsubscribed: (m) => isString(m.channel),
  pong: () => true,
  error: (m) => isString(m.code) && isString(m.message),
  auth_expiring: (m) => typeof m.expires_at === 'number',
};

const isControlType = (type: string): type is ServerControlMessage['type'] => Object.hasOwn(CONTROL_CHECKS, type);

/**
 * Classifies one text frame from the gateway with `JSON.parse` and a switch on `type`. Never throws:
 * anything unexpected comes back as `invalid` with a reason the client reports through `on('error')`.
 */
export function classifyFrame(data: unknown): InboundFrame {
  if (typeof data !== 'string') return { kind: 'invalid', reason: 'binary frame; the protocol sends JSON text frames only' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { kind: 'invalid', reason: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'frame is not a JSON object' };
  }
  const m = value as Fields;
  const type = m.type;
  if (!isString(type)) return { kind: 'invalid', reason: 'frame has no string "type"' };
  if (isControlType(type)) {
    return CONTROL_CHECKS[type](m)
      ? { kind: 'control', message: m as ServerControlMessage }
      : { kind: 'invalid', reason: `malformed "${type}" message` };
  }
  // Events are `<domain>.<verb>`; control messages never contain a dot.
  if (type.includes('.')) {
    if (isString(m.channel) && isString(m.epoch) && isSeq(m.seq) && typeof m.data === 'object' && m.data !== null) {
      return { kind: 'event', event: m as EventEnvelope };
    }
    return { kind: 'invalid', reason: `malformed "${type.slice(0, 64)}" event` };
  }
  return { kind: 'invalid', reason: `unknown message type "${type.slice(0, 64)}"` };
}
