import type { ConnectionsResponse, DisconnectResponse, PresenceResponse } from '@ns/contracts';
import { adminRequest, isoTime, table, type AdminTarget } from './admin-http.js';
import { CliError, EXIT } from './exit-codes.js';

interface Output {
  stdout: { write(s: string): unknown };
}

/** `ns-gateway connections [--user u] [--json]`: live connections on every instance. */
export async function connectionsCommand(o: AdminTarget & Output & { user: string | undefined; json: boolean }): Promise<number> {
  const query = new URLSearchParams({ limit: '10000', ...(o.user !== undefined && { user: o.user }) });
  const body = await adminRequest<ConnectionsResponse>(o, 'GET', `/v1/connections?${query}`);
  if (o.json) {
    o.stdout.write(`${JSON.stringify(body)}\n`);
    return EXIT.OK;
  }
  const rows = [['ID', 'USER', 'ADDRESS', 'CHANNELS', 'QUEUED', 'SINCE', 'INSTANCE', 'TRANSPORT']];
  for (const c of body.connections) {
    const user = c.user === null ? '(anonymous)' : c.username !== undefined && c.username !== c.user ? `${c.user} (${c.username})` : c.user;
    rows.push([c.id, user, c.remote_address ?? '-', c.channels.join(',') || '-', String(c.queued_bytes), isoTime(c.connected_at), c.instance, c.transport]);
  }
  o.stdout.write(table(rows));
  o.stdout.write(`${body.connections.length} connection(s) on ${body.instances.length} instance(s)${body.truncated ? ' (more not listed)' : ''}\n`);
  return EXIT.OK;
}

/** `ns-gateway presence <channel> [--json]`: who is subscribed to a channel, cluster-wide. */
export async function presenceCommand(o: AdminTarget & Output & { channel: string; json: boolean }): Promise<number> {
  const body = await adminRequest<PresenceResponse>(o, 'GET', `/v1/presence/${encodeURIComponent(o.channel)}`);
  if (o.json) {
    o.stdout.write(`${JSON.stringify(body)}\n`);
    return EXIT.OK;
  }
  o.stdout.write(`${body.channel}: ${body.connections} connection(s), ${body.users} user(s)\n`);
  if (body.members.length === 0) return EXIT.OK;
  const rows = [['USER', 'CONNECTIONS', 'SINCE']];
  for (const m of body.members) rows.push([m.user === null ? '(anonymous)' : m.username !== undefined ? `${m.user} (${m.username})` : m.user, String(m.connections), isoTime(m.since)]);
  o.stdout.write(table(rows));
  if (body.truncated) o.stdout.write(`(first ${body.members.length} users listed)\n`);
  return EXIT.OK;
}

/** `ns-gateway disconnect --user u | --id c_… [--reason text]`: closes connections on every instance (4003). */
export async function disconnectCommand(o: AdminTarget & Output & { user: string | undefined; id: string | undefined; reason: string | undefined; json: boolean }): Promise<number> {
  if ((o.user === undefined) === (o.id === undefined)) throw new CliError(EXIT.USAGE, 'disconnect takes exactly one of --user <user> or --id <connection id>');
  const body =
    o.id !== undefined
      ? await adminRequest<DisconnectResponse>(o, 'DELETE', `/v1/connections/${encodeURIComponent(o.id)}${o.reason === undefined ? '' : `?${new URLSearchParams({ reason: o.reason })}`}`)
      : await adminRequest<DisconnectResponse>(o, 'POST', '/v1/disconnects', { user: o.user, ...(o.reason !== undefined && { reason: o.reason }) });
  if (o.json) {
    o.stdout.write(`${JSON.stringify(body)}\n`);
    return EXIT.OK;
  }
  for (const c of body.disconnected) o.stdout.write(`closed ${c.id} (${c.user ?? 'anonymous'}) on ${c.instance}\n`);
  o.stdout.write(`${body.disconnected.length} connection(s) closed with ${body.code} "${body.reason}"\n`);
  return EXIT.OK;
}
