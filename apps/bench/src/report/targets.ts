import type { BenchResults } from './results.js';
import { ratios } from './ratios.js';

/** One target of the issue next to what this run measured. */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
}

/** Server CPU per write system call, µs: CPU per delivery ÷ writes per delivery. */
function perWriteUs(cpuUsPerDelivery: number | null, writesPerDelivery: unknown): number | null {
  if (cpuUsPerDelivery === null || typeof writesPerDelivery !== 'number' || writesPerDelivery <= 0) return null;
  return cpuUsPerDelivery / writesPerDelivery;
}

const fmt = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));

/** The targets, each with the measured figure (null `met` = not measured in this profile). */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const runs = results.runs;
  const find = (scenario: string, server = 'gateway') => runs.find((r) => r.scenario === scenario && r.server === server);
  const r = ratios(runs);
  const out: TargetCheck[] = [];

  const vsWs = r.find((x) => x.scenario === 'fanout-1k-1000' && x.baseline === 'ws');
  const vsIo = r.find((x) => x.scenario === 'fanout-1k-1000' && x.baseline === 'socketio');
  out.push({ target: 'CPU per delivery ≤ 0.25× plain ws (1k subs, 1,000 ev/s)', measured: `${fmt(vsWs?.cpuPerDelivery)}× (${fmt(find('fanout-1k-1000')?.cpuUsPerDelivery)} vs ${fmt(find('fanout-1k-1000', 'ws')?.cpuUsPerDelivery)} µs)`, met: vsWs?.cpuPerDelivery == null ? null : vsWs.cpuPerDelivery <= 0.25 });
  out.push({ target: 'CPU per delivery ≤ 0.2× Socket.IO (1k subs, 1,000 ev/s)', measured: `${fmt(vsIo?.cpuPerDelivery)}× (${fmt(find('fanout-1k-1000')?.cpuUsPerDelivery)} vs ${fmt(find('fanout-1k-1000', 'socketio')?.cpuUsPerDelivery)} µs)`, met: vsIo?.cpuPerDelivery == null ? null : vsIo.cpuPerDelivery <= 0.2 });

  const lat = find('fanout-1k-100');
  const wait = lat?.extra['server_runqueue_wait_ms_per_s'];
  // The floor: an event reaches the last of N subscribers no sooner than N writes after the first,
  // and each write costs this run's server CPU per write system call.
  const usPerWrite = lat === undefined ? null : perWriteUs(lat.cpuUsPerDelivery, lat.extra['server_write_syscalls_per_delivery']);
  const floor = usPerWrite === null || lat === undefined ? '' : `; one write costs ${fmt(usPerWrite, 1)} µs of server CPU here, so one event written to all ${lat.subscribers} subscribers takes ${fmt((usPerWrite * lat.subscribers) / 1000, 1)} ms`;
  out.push({
    target: 'p99 publish→receive ≤ 10 ms, p99.9 ≤ 20 ms (1k subs × 100 ev/s)',
    measured: lat?.latencyMs == null ? 'n/a' : `p99 ${fmt(lat.latencyMs.p99, 1)} ms, p99.9 ${fmt(lat.latencyMs.p999, 1)} ms (p50 ${fmt(lat.latencyMs.p50, 1)}; server waited ${fmt(wait as number | undefined, 0)} ms/s for a CPU${floor})`,
    met: lat?.latencyMs == null ? null : lat.latencyMs.p99 <= 10 && lat.latencyMs.p999 <= 20,
  });

  // Issue 17: filtered fan-out at most twice the unfiltered cost per delivery (same subscribers and
  // rate), and ≤ 0.2× plain ws.
  for (const id of ['filtered-10k-1000', 'filtered-distinct-10k-1000', 'filtered-identical-10k-100']) {
    const gw = find(id);
    const ws = find(id, 'ws');
    if (gw === undefined) continue;
    const unfilteredId = id.replace(/^filtered(-distinct|-identical)?/, 'fanout');
    const unfiltered = find(unfilteredId)?.cpuUsPerDelivery;
    const g = gw.cpuUsPerDelivery;
    const vsUnfiltered = g != null && unfiltered != null ? g / unfiltered : null;
    const vsWs = g != null && ws?.cpuUsPerDelivery != null ? g / ws.cpuUsPerDelivery : null;
    const writes = (x: typeof gw | undefined) => x?.extra['server_write_syscalls_per_delivery'];
    const writesNote = typeof writes(gw) === 'number' ? `; write syscalls per delivery ${fmt(writes(gw) as number, 3)} vs ${fmt(writes(find(unfilteredId)) as number | undefined, 3)} unfiltered` : '';
    out.push({
      target: `${gw.title}: CPU per delivery ≤ 2× unfiltered, ≤ 0.2× plain ws`,
      measured: `${fmt(g)} µs = ${fmt(vsUnfiltered)}× unfiltered (${unfilteredId}: ${fmt(unfiltered)} µs), ${fmt(vsWs)}× plain ws (${fmt(ws?.cpuUsPerDelivery)} µs)${writesNote}`,
      met: vsUnfiltered === null || vsWs === null ? null : vsUnfiltered <= 2 && vsWs <= 0.2,
    });
  }

  const gwRuns = runs.filter((x) => x.server.startsWith('gateway'));
  const lossy = gwRuns.filter((x) => x.lossPct > 0 || (typeof x.extra['gaps'] === 'number' && x.extra['gaps'] > 0));
  out.push({ target: 'no loss in any scenario (gateway)', measured: lossy.length === 0 ? `0 of ${gwRuns.length} gateway runs lost events` : lossy.map((x) => `${x.scenario}/${x.server}: ${fmt(x.lossPct, 3)} %`).join('; '), met: gwRuns.length === 0 ? null : lossy.length === 0 });

  const cap = runs.filter((x) => x.kind === 'capacity' && x.server === 'gateway').sort((a, b) => b.subscribers - a.subscribers)[0];
  const capIo = runs.filter((x) => x.kind === 'capacity' && x.server === 'socketio').sort((a, b) => b.subscribers - a.subscribers)[0];
  const capWs = runs.filter((x) => x.kind === 'capacity' && x.server === 'ws').sort((a, b) => b.subscribers - a.subscribers)[0];
  const attempted = Number(cap?.extra['attempted'] ?? 0);
  // Below ~19k attempted (the quick profile) the fixed heap overhead still inflates the per-connection figure.
  const atScale = attempted >= 19_000;
  out.push({
    target: '≤ 10 KB server memory per idle subscribed connection',
    measured: `${fmt(cap?.rssPerConnKB, 1)} KB at ${cap?.subscribers ?? 0} connections (plain ws ${fmt(capWs?.rssPerConnKB, 1)} KB, Socket.IO ${fmt(capIo?.rssPerConnKB, 1)} KB)${atScale ? '' : '; quick profile, see --full for 20k'}`,
    met: cap?.rssPerConnKB == null ? null : cap.rssPerConnKB <= 10,
  });
  const idle = (r: typeof cap) => r?.extra['rss_per_conn_idle_kb'] as number | undefined;
  out.push({
    target: '≤ plain ws + 1.5 KB per idle subscribed connection (same run)',
    measured:
      cap?.rssPerConnKB == null || capWs?.rssPerConnKB == null
        ? 'n/a'
        : `${fmt(cap.rssPerConnKB, 1)} KB vs ${fmt(capWs.rssPerConnKB, 1)} KB: +${fmt(cap.rssPerConnKB - capWs.rssPerConnKB, 1)} KB after a full GC in each (before it, after ${fmt(cap.extra['settle_s'] as number | undefined, 0)} s idle: ${fmt(idle(cap), 1)} vs ${fmt(idle(capWs), 1)} KB)`,
    met: cap?.rssPerConnKB == null || capWs?.rssPerConnKB == null || !atScale ? null : cap.rssPerConnKB <= capWs.rssPerConnKB + 1.5,
  });
  out.push({
    target: '19k+ concurrent connections on one process',
    measured: cap === undefined ? 'n/a' : `${cap.subscribers} held of ${attempted} attempted${atScale ? ' (fd limit 20,000)' : ' (quick profile does not try; see --full)'}`,
    met: cap === undefined || !atScale ? null : cap.subscribers >= 19_000,
  });

  const ing = find('ingest-batch-1000');
  const eps = ing?.extra['events_per_s'];
  out.push({ target: 'ingest ≥ 50,000 validated events/s (batch publish, one core)', measured: typeof eps === 'number' ? `${Math.round(eps)} events/s (${fmt(ing?.cpuCores)} cores busy)` : 'n/a', met: typeof eps === 'number' ? eps >= 50_000 : null });
  return out;
}
