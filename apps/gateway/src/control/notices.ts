import { z } from 'zod';

// Notices travel between gateway instances only (Redis pub/sub, or in-process on the memory engine);
// they are not part of the public protocol, so their schemas live here rather than in @ns/contracts.
// Every instance validates what it receives: a newer instance may send kinds this one does not know.

const Text = (max: number) => z.string().min(1).max(max);

/** Who a `revoke` notice is about: one token by `jti`, or every token of a user issued before a time (Unix s). */
export const RevokeTarget = z.union([
  z.object({ jti: Text(256) }).strict(),
  z.object({ user: Text(256), issued_before: z.number().finite().nonnegative() }).strict(),
]);
export type RevokeTarget = z.infer<typeof RevokeTarget>;

/** A credential was revoked: every instance refuses it from now on and closes live connections holding it (4001). */
export const RevokeNotice = z
  .object({
    kind: z.literal('revoke'),
    target: RevokeTarget,
    /** When the revocation record expires (Unix s): after it the token would be refused as expired anyway. */
    expires_at: z.number().finite().nonnegative(),
  })
  .strict();
export type RevokeNotice = z.infer<typeof RevokeNotice>;

/** Which connections a `disconnect` notice closes: one by its `connection_id` (from `welcome`), or all of a user's. */
export const DisconnectTarget = z.union([z.object({ connection_id: Text(128) }).strict(), z.object({ user: Text(256) }).strict()]);
export type DisconnectTarget = z.infer<typeof DisconnectTarget>;

/** Close matching connections on every instance with `code` and `reason` (a close reason is at most 123 bytes). */
export const DisconnectNotice = z
  .object({
    kind: z.literal('disconnect'),
    target: DisconnectTarget,
    code: z.number().int().min(1000).max(4999),
    reason: z.string().max(123).refine((s) => Buffer.byteLength(s) <= 123, 'a close reason is at most 123 bytes'),
  })
  .strict();
export type DisconnectNotice = z.infer<typeof DisconnectNotice>;

/** Every notice kind this instance understands. */
export const ControlNotice = z.discriminatedUnion('kind', [RevokeNotice, DisconnectNotice]);
export type ControlNotice = z.infer<typeof ControlNotice>;
export type ControlNoticeKind = ControlNotice['kind'];
/** The notice of one kind. */
export type NoticeOf<K extends ControlNoticeKind> = Extract<ControlNotice, { kind: K }>;

/** What travels on the Redis channel: the notice plus the sending instance (which handled it already). */
export const NoticeFrame = z.object({ from: Text(64), notice: z.object({ kind: z.string() }).passthrough() }).strict();

/**
 * Parses one received frame. `ignored` names why it is not handled: not JSON, not a frame, an unknown
 * kind (from a newer instance), or a known kind whose body does not match.
 */
export function parseNoticeFrame(text: string): { from: string; notice: ControlNotice } | { ignored: string; kind?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ignored: 'not JSON' };
  }
  const frame = NoticeFrame.safeParse(raw);
  if (!frame.success) return { ignored: 'not a notice frame' };
  const kind = frame.data.notice.kind;
  if (!ControlNotice.options.some((o) => o.shape.kind.value === kind)) return { ignored: 'unknown kind', kind: kind.slice(0, 64) };
  const notice = ControlNotice.safeParse(frame.data.notice);
  if (!notice.success) {
    const issue = notice.error.issues[0];
    return { ignored: `invalid ${kind} notice: ${issue === undefined ? 'invalid' : `${issue.path.join('.')}: ${issue.message}`}`, kind };
  }
  return { from: frame.data.from, notice: notice.data };
}
