/**
 * Baseline 2: Socket.IO as its docs suggest for a broadcast — `io.emit('event', envelope)` — with the
 * WebSocket transport only and no compression (per-message deflate and HTTP compression off). A client
 * emits `subscribe` ({filter?}) and gets `subscribed`; with filters, clients join one room per distinct
 * filter, each event's filter is checked once per room, and the event goes to
 * `io.to(['threats', …matching rooms])` (Socket.IO de-duplicates across rooms).
 * `--recovery` enables Socket.IO's connection state recovery (its answer to the gateway's `since`).
 *
 *   node --import tsx apps/bench/src/servers/socketio-server.ts [--recovery]     (port: $PORT)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { compileBenchFilter, type BenchFilter } from './baseline-filter.js';
import { announce, exitOnSignal, publishEndpoint } from './publish-endpoint.js';

const recovery = process.argv.includes('--recovery');
/** Rooms of filtered sockets: room name (the filter's JSON) → the filter and how many sockets are in it. */
const filterRooms = new Map<string, { accepts: (event: { data: unknown }) => boolean; sockets: number }>();

const endpoint = publishEndpoint((event) => {
  if (filterRooms.size === 0) {
    io.emit('event', event);
    return;
  }
  const rooms = ['threats'];
  for (const [room, f] of filterRooms) if (f.accepts(event)) rooms.push(room);
  io.to(rooms).emit('event', event);
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
  let joined: string | undefined;
  socket.on('subscribe', (msg: { filter?: BenchFilter } | undefined) => {
    const accepts = compileBenchFilter(msg?.filter);
    if (accepts === undefined) void socket.join('threats');
    else if (joined === undefined) {
      joined = `filter:${JSON.stringify(msg?.filter)}`;
      const room = filterRooms.get(joined) ?? { accepts, sockets: 0 };
      room.sockets++;
      filterRooms.set(joined, room);
      void socket.join(joined);
    }
    socket.emit('subscribed', { channel: 'threats', recovered: socket.recovered, ...endpoint.head() });
  });
  socket.on('disconnect', () => {
    const room = joined === undefined ? undefined : filterRooms.get(joined);
    if (room !== undefined && --room.sockets === 0) filterRooms.delete(joined as string);
  });
});

exitOnSignal();
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => announce((server.address() as AddressInfo).port));
