import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UNRESTRICTED_PRINCIPAL, parseClientMessage, type Principal } from '@ns/contracts';
import { EventBus } from '@ns/event-bus';
import { WebSocketServer, type ServerOptions } from 'ws';
import type { Connection } from '../src/connection.js';
import { WsManager, type WsManagerOptions } from '../src/ws-manager.js';

/** A real HTTP server on port 0 whose upgrades go straight to a {@link WsManager} (no auth, no limits). */
export interface ManagerServer {
  bus: EventBus;
  manager: WsManager;
  url: string;
  /** Connections in accept order. */
  accepted: Connection[];
  close(): Promise<void>;
}

export async function startManagerServer(
  options: Omit<WsManagerOptions, 'bus'> & { principal?: Principal | null; bus?: EventBus } = {},
): Promise<ManagerServer> {
  const bus = options.bus ?? new EventBus();
  const manager = new WsManager({ ...options, bus });
  const principal = options.principal === undefined ? UNRESTRICTED_PRINCIPAL : options.principal;
  // `closeTimeout` (ws ≥ 8.18) is missing from @types/ws.
  const wssOptions: ServerOptions & { closeTimeout: number } = { noServer: true, perMessageDeflate: false, closeTimeout: 5_000 };
  const wss = new WebSocketServer(wssOptions);
  const server = http.createServer();
  const accepted: Connection[] = [];
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = manager.accept(ws, socket, { principal });
      accepted.push(connection);
      connection.open();
      ws.on('message', (data) => {
        const parsed = parseClientMessage(String(data));
        if (!parsed.success) {
          manager.replyError(connection, parsed.error.code, parsed.error.message, parsed.id);
          return;
        }
        if (parsed.data.type !== 'auth') void manager.handle(connection, parsed.data);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    bus,
    manager,
    url: `ws://127.0.0.1:${port}/ws`,
    accepted,
    async close() {
      await manager.close({ graceMs: 500 });
      server.close();
      await bus.close();
    },
  };
}

export { TestClient, threat } from '@ns/testkit';
