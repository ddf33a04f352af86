import type { HeapTypeTotal } from '../measure/heap-snapshot.js';
import type { Percentiles } from '../measure/percentiles.js';
import type { ServerKind } from '../servers/server-kinds.js';

/** The scenarios of the issues. */
export type ScenarioKind = 'fanout' | 'filtered' | 'capacity' | 'ingest' | 'storm' | 'heap';

/** Figures of one scenario on one server. Absent figures are null (not measured for that scenario). */
export interface RunFigures {
  /** Identifies the scenario and its parameters, e.g. `fanout-1k-1000`; runs with the same id are compared. */
  scenario: string;
  kind: ScenarioKind;
  title: string;
  server: ServerKind;
  subscribers: number;
  /** Offered publish rate (events/s) and events in the measured window. */
  rate: number | null;
  events: number | null;
  delivered: number;
  expected: number;
  /** (expected − delivered) / expected, percent. */
  lossPct: number;
  /** delivered / (last byte received − first publish). */
  deliveriesPerS: number | null;
  /** Server CPU (user + system, all its processes) per delivered event, µs. */
  cpuUsPerDelivery: number | null;
  /** Server CPU seconds per wall second during the measured window. */
  cpuCores: number | null;
  /** publish → receive, ms, measured by the sampling clients. */
  latencyMs: Percentiles | null;
  /** (server RSS with the subscribers − RSS before they connected) / subscribers, KB. */
  rssPerConnKB: number | null;
  rssMB: number | null;
  /** Load-generator CPU per delivery, µs (it must stay below the server's). */
  loadgenCpuUsPerDelivery: number | null;
  /** Heap growth per idle connection by object type, bytes, largest first (heap scenario). */
  heapPerConnection?: HeapTypeTotal[];
  /** Scenario-specific figures (ingest events/s, storm timings, …). */
  extra: Record<string, number | string | boolean | null>;
  errors: string[];
  wallS: number;
}

/** Everything one `npm run bench` writes. */
export interface BenchResults {
  profile: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    fdLimit: string;
    loadAvgStart: [number, number, number];
    loadAvgEnd: [number, number, number];
  };
  runs: RunFigures[];
}
