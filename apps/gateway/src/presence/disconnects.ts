import { CLOSE_CODES } from '@ns/contracts';
import type { ConnectionTarget } from './presence.js';

/** An admin disconnect, as it travels to every instance. */
export interface DisconnectOrder {
  target: ConnectionTarget;
  /** The close code (4003). */
  code: number;
  /** The close frame's reason (at most 123 bytes). */
  reason: string;
}

/**
 * How a disconnect reaches every instance: `broadcast` closes the matching connections here at once
 * and tells every other instance sharing the engine, which close theirs; rejects when they cannot be
 * told (Redis down). The memory engine's relay is this process alone.
 */
export interface DisconnectRelay {
  broadcast(order: DisconnectOrder): Promise<void>;
  /** Calls `handler` for every order, from this instance or another; returns the unsubscribe. */
  onOrder(handler: (order: DisconnectOrder) => void): () => void;
}

/** A sink as a disconnect sees it (a `FrameSink` of @ns/ws-manager, by shape). */
export interface ClosableSink {
  readonly id: string;
  readonly principal: { readonly id: string } | null;
  readonly state: string;
  close(code?: number, reason?: string): void;
}

/**
 * Closes this instance's sinks that `order` names, after what is queued for them is flushed; returns how
 * many. `onClosing` hears of each (presence stops counting it at once rather than when it has closed).
 */
export function closeMatching<S extends ClosableSink>(sinks: Iterable<S>, order: DisconnectOrder, onClosing?: (sink: S) => void): number {
  const t = order.target;
  const matched = [...sinks].filter((s) => s.state !== 'closing' && s.state !== 'closed' && ('connection_id' in t ? s.id === t.connection_id : s.principal?.id === t.user));
  for (const sink of matched) {
    sink.close(order.code, order.reason);
    onClosing?.(sink);
  }
  return matched.length;
}

/** What the relay uses of the control plane (control/): notices of kind `disconnect` to every instance. */
export interface DisconnectNoticeBus {
  broadcast(notice: { kind: 'disconnect' } & DisconnectOrder): Promise<void>;
  onNotice(kind: 'disconnect', handler: (notice: { kind: 'disconnect' } & DisconnectOrder) => void): () => void;
}

/**
 * Disconnects over the control plane: a `disconnect` notice is handled here at once and by every other
 * instance sharing the engine (Redis pub/sub; the memory engine's plane is this process).
 */
export function controlPlaneRelay(control: DisconnectNoticeBus): DisconnectRelay {
  return {
    broadcast: (order) => control.broadcast({ kind: 'disconnect', target: order.target, code: order.code, reason: order.reason }),
    onOrder: (handler) => control.onNotice('disconnect', ({ target, code, reason }) => handler({ target, code, reason })),
  };
}

/** The close code of an admin disconnect: 4003, as for a principal that lost a permission (docs/protocol.md#close-codes). */
export const ADMIN_DISCONNECT_CODE = CLOSE_CODES.FORBIDDEN;
