/**
 * Baseline 2: Socket.IO as its docs suggest for a broadcast — `io.emit('event', envelope)` — with the
 * WebSocket transport only and no compression (per-message deflate and HTTP compression off). A client
 * emits `subscribe` ({filter?}) and gets `subscribed`; with filters, clients join one room per event type
 * and events go to `io.to(['threats', 'type:<event_type>'])` (Socket.IO de-duplicates across rooms).
 * `--recovery` enables Socket.IO's connection state recovery (its answer to the gateway's `since`).
 *
 *   node --import tsx apps/bench/src/servers/socketio-server.ts [--recovery]     (port: $PORT)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { announce, exitOnSignal, publishEndpoint } from './publish-endpoint.js';

const recovery = process.argv.includes('--recovery');
let filteredSockets = 0;

const endpoint = publishEndpoint((event) => {
  if (filteredSockets === 0) io.emit('event', event);
  else io.to(['threats', `type:${(event.data as { event_type?: string }).event_type ?? ''}`]).emit('event', event);
});
const server = http.createServer(endpoint.handle);
const io = new Server(server, {
  transports: ['websocket'],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: true } } : {}),
});

io.on('connection', (socket) => {
  let filtered = false;
  socket.on('subscribe', (msg: { filter?: { event_types?: string[] } } | undefined) => {
    const types = msg?.filter?.event_types;
    if (types === undefined) void socket.join('threats');
    else {
      for (const t of types) void socket.join(`type:${t}`);
      if (!filtered) filteredSockets++;
      filtered = true;
    }
    socket.emit('subscribed', { channel: 'threats', recovered: socket.recovered, ...endpoint.head() });
  });
  socket.on('disconnect', () => {
    if (filtered) filteredSockets--;
  });
});

exitOnSignal();
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => announce((server.address() as AddressInfo).port));
