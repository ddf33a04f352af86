import type { ServerKind } from '../servers/server-kinds.js';
import type { RunFigures } from './results.js';

/** gateway (memory) ÷ a baseline, for one scenario of one run. */
export interface Ratio {
  scenario: string;
  title: string;
  baseline: ServerKind;
  cpuPerDelivery: number | null;
  p99: number | null;
  rssPerConn: number | null;
}

const div = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined || b === 0 || !Number.isFinite(a) || !Number.isFinite(b) ? null : a / b;

/** Ratios gateway ÷ plain ws and gateway ÷ Socket.IO, from runs of the same scenario in the same bench run. */
export function ratios(runs: readonly RunFigures[]): Ratio[] {
  const out: Ratio[] = [];
  const scenarios = [...new Set(runs.map((r) => r.scenario))];
  for (const scenario of scenarios) {
    const gw = runs.find((r) => r.scenario === scenario && r.server === 'gateway');
    if (gw === undefined) continue;
    for (const baseline of ['ws', 'socketio'] as const) {
      const b = runs.find((r) => r.scenario === scenario && r.server === baseline);
      if (b === undefined) continue;
      out.push({
        scenario,
        title: gw.title,
        baseline,
        cpuPerDelivery: div(gw.cpuUsPerDelivery, b.cpuUsPerDelivery),
        p99: div(gw.latencyMs?.p99, b.latencyMs?.p99),
        rssPerConn: div(gw.rssPerConnKB, b.rssPerConnKB),
      });
    }
  }
  return out;
}
