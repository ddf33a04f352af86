/**
 * Latency samplers: a few real clients (the `ws` library for the gateway and the plain server,
 * `socket.io-client` for Socket.IO, `node:http` reading the gateway's `GET /v1/stream`) that parse every event and record publish → receive latency from
 * the publish time carried in `data.timestamp` (the shared clock, see clockMs). Run with `fork()`, in
 * a process of its own so that parsing never delays the publisher or the raw counters.
 */
import http from 'node:http';
import { io as ioClient, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { clockMs } from '../measure/clock.js';
import type { SamplerCommand, SamplerReply } from './sampler-messages.js';
import { subscriberFilter } from './threat-events.js';

interface Envelope {
  type: string;
  seq?: number;
  data?: { timestamp?: number };
}

let latencies: number[] = [];
let received = 0;
let outOfOrder = 0;
const closers: (() => void)[] = [];
const send = (r: SamplerReply) => process.send?.(r);

function onEvent(e: Envelope, last: { seq: number }): void {
  const now = clockMs();
  if (e.type !== 'threat.new') return;
  received++;
  latencies.push(now - (e.data?.timestamp ?? 0) * 1000);
  const seq = e.seq ?? 0;
  if (seq <= last.seq) outOfOrder++;
  last.seq = seq;
}

function openWs(url: string, gateway: boolean, filter: object | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = gateway ? new WebSocket(url, 'ns.v1', { perMessageDeflate: false }) : new WebSocket(url, { perMessageDeflate: false });
    const last = { seq: 0 };
    const subscribe = () => ws.send(JSON.stringify({ type: 'subscribe', channel: 'threats', ...(filter === undefined ? {} : { filter }) }));
    closers.push(() => ws.terminate());
    ws.on('error', reject);
    if (!gateway) ws.on('open', subscribe);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Envelope;
      if (m.type === 'welcome') subscribe();
      else if (m.type === 'subscribed') resolve();
      else if (m.type === 'error') reject(new Error(String(data).slice(0, 200)));
      else onEvent(m, last);
    });
  });
}

/** An SSE stream of `threats`: each event's `data:` lines are one JSON message, as on /ws. */
function openSse(url: string, filter: object | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const last = { seq: 0 };
    const q = `channels=threats${filter === undefined ? '' : `&filter.threats=${encodeURIComponent(JSON.stringify(filter))}`}`;
    const req = http.get(`${url}/v1/stream?${q}`, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /v1/stream: ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let pending = '';
      res.on('data', (text: string) => {
        pending += text;
        let end: number;
        while ((end = pending.indexOf('\n\n')) !== -1) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data === '') continue; // comment or retry:
          const m = JSON.parse(data) as Envelope;
          if (m.type === 'subscribed') resolve();
          else if (m.type === 'error') reject(new Error(data.slice(0, 200)));
          else if (m.type !== 'welcome') onEvent(m, last);
        }
      });
    });
    closers.push(() => req.destroy());
    req.on('error', reject);
  });
}

function openSocketIo(url: string, filter: object | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const last = { seq: 0 };
    closers.push(() => socket.disconnect());
    socket.on('connect_error', reject);
    socket.on('connect', () => socket.emit('subscribe', filter === undefined ? {} : { filter }));
    socket.on('subscribed', () => resolve());
    socket.on('event', (e: Envelope) => onEvent(e, last));
  });
}

process.on('message', (c: SamplerCommand) => {
  switch (c.cmd) {
    case 'open': {
      const wsUrl = `${c.url.replace(/^http/, 'ws')}/ws`;
      const opens = Array.from({ length: c.count }, (_, k) => {
        const filter = subscriberFilter(c.filter, c.firstIndex + k);
        if (c.protocol === 'sse') return openSse(c.url, filter);
        return c.protocol === 'socketio' ? openSocketIo(c.url, filter) : openWs(wsUrl, c.protocol === 'ns', filter);
      });
      void Promise.allSettled(opens).then((rs) => {
        const errors = rs.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []));
        send({ type: 'opened', opened: rs.length - errors.length, errors: errors.slice(0, 5) });
      });
      break;
    }
    case 'mark':
      latencies = [];
      received = 0;
      outOfOrder = 0;
      send({ type: 'marked' });
      break;
    case 'count':
      send({ type: 'count', received });
      break;
    case 'report':
      send({ type: 'report', latenciesMs: latencies, received, outOfOrder });
      break;
    case 'exit':
      for (const close of closers) close();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
