import { SERVER_KINDS, SERVER_LABELS, type ServerKind } from '../servers/server-kinds.js';
import type { BenchResults, RunFigures } from './results.js';

const COLORS: Record<ServerKind, string> = { gateway: '#1f77b4', 'gateway-sse': '#2ca02c', 'gateway-redis': '#17becf', 'gateway-cluster': '#9467bd', ws: '#ff7f0e', socketio: '#d62728' };
const W = 960;
const PANEL_H = 300;
const LEFT = 70;
const RIGHT = 20;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Panel {
  title: string;
  value: (r: RunFigures) => number | null | undefined;
  log: boolean;
  unit: string;
  /** A dashed reference line (a target). */
  reference?: { value: number; label: string };
}

function niceMax(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function panel(top: number, p: Panel, groups: string[], runs: RunFigures[], titles: Map<string, string>): string {
  const plotTop = top + 30;
  const plotH = PANEL_H - 80;
  const plotW = W - LEFT - RIGHT;
  const values = runs.map(p.value).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v) && v > 0);
  if (p.reference !== undefined && values.length > 0) values.push(p.reference.value);
  const parts: string[] = [`<text x="${LEFT}" y="${top + 18}" font-size="15" font-weight="bold">${esc(p.title)}</text>`];
  if (values.length === 0) return parts.join('\n');
  let y: (v: number) => number;
  const ticks: number[] = [];
  if (p.log) {
    // Slightly below the smallest value, so that a bar (or the reference) never sits on the axis.
    const lo = 10 ** Math.floor(Math.log10(Math.min(...values) * 0.99));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
    const span = Math.log10(hi) - Math.log10(lo) || 1;
    y = (v) => plotTop + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * plotH;
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  } else {
    const hi = niceMax(Math.max(...values));
    y = (v) => plotTop + plotH - (v / hi) * plotH;
    for (let i = 0; i <= 5; i++) ticks.push((hi / 5) * i);
  }
  for (const t of ticks) {
    const ty = y(t).toFixed(1);
    parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${ty}" font-size="11" text-anchor="end" dominant-baseline="middle">${t >= 1 ? +t.toPrecision(3) : t.toPrecision(2)}</text>`);
  }
  parts.push(`<text x="14" y="${plotTop + plotH / 2}" font-size="11" transform="rotate(-90 14 ${plotTop + plotH / 2})" text-anchor="middle">${esc(p.unit)}${p.log ? ' (log scale)' : ''}</text>`);
  const groupW = plotW / groups.length;
  groups.forEach((g, gi) => {
    const inGroup = SERVER_KINDS.map((k) => runs.find((r) => r.scenario === g && r.server === k)).filter((r): r is RunFigures => r !== undefined);
    const barW = Math.min(40, (groupW - 20) / Math.max(1, inGroup.length));
    const x0 = LEFT + gi * groupW + (groupW - barW * inGroup.length) / 2;
    inGroup.forEach((r, bi) => {
      const v = p.value(r);
      const x = x0 + bi * barW;
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const by = y(v);
      parts.push(`<rect x="${x.toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 3).toFixed(1)}" height="${(plotTop + plotH - by).toFixed(1)}" fill="${COLORS[r.server]}"><title>${esc(`${SERVER_LABELS[r.server]}: ${v} ${p.unit}`)}</title></rect>`);
      parts.push(`<text x="${(x + (barW - 3) / 2).toFixed(1)}" y="${(by - 3).toFixed(1)}" font-size="10" text-anchor="middle">${+v.toPrecision(3)}</text>`);
    });
    parts.push(`<text x="${(LEFT + gi * groupW + groupW / 2).toFixed(1)}" y="${plotTop + plotH + 16}" font-size="11" text-anchor="middle">${esc(titles.get(g) ?? g)}</text>`);
  });
  parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${plotTop + plotH}" y2="${plotTop + plotH}" stroke="#333"/>`);
  if (p.reference !== undefined) {
    const ry = y(p.reference.value).toFixed(1);
    parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${ry}" y2="${ry}" stroke="#2ca02c" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    parts.push(`<line x1="${W - RIGHT - 330}" x2="${W - RIGHT - 300}" y1="${top + 14}" y2="${top + 14}" stroke="#2ca02c" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${W - RIGHT - 294}" y="${top + 18}" font-size="11" fill="#2ca02c">${esc(p.reference.label)}</text>`);
  }
  return parts.join('\n');
}

/** A hand-written SVG: server CPU per delivery (top) and p99 publish → receive latency (bottom) per fan-out scenario and server. */
export function renderChart(results: BenchResults): string {
  const runs = results.runs.filter((r) => r.kind === 'fanout' || r.kind === 'filtered');
  const groups = [...new Set(runs.map((r) => r.scenario))];
  const titles = new Map(runs.map((r) => [r.scenario, r.title.replace(/^filtered fan-out \((.*)\)/, 'filtered: $1')]));
  const servers = SERVER_KINDS.filter((k) => runs.some((r) => r.server === k));
  const height = 50 + 2 * PANEL_H;
  const legend = servers
    .map((k, i) => `<rect x="${LEFT + i * 200}" y="12" width="12" height="12" fill="${COLORS[k]}"/><text x="${LEFT + i * 200 + 18}" y="22" font-size="12">${esc(SERVER_LABELS[k])}</text>`)
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    legend,
    panel(40, { title: `Server CPU per delivered event (µs, lower is better) — ${results.profile} profile`, value: (r) => r.cpuUsPerDelivery, log: false, unit: 'µs per delivery' }, groups, runs, titles),
    panel(40 + PANEL_H, { title: 'p99 publish → receive latency (ms, lower is better)', value: (r) => r.latencyMs?.p99, log: true, unit: 'ms', reference: { value: 10, label: 'target: p99 ≤ 10 ms at 1k subs × 100 ev/s' } }, groups, runs, titles),
    '</svg>',
    '',
  ].join('\n');
}
