import type { FilterMode } from './threat-events.js';
import type { WireProtocol } from './raw-subscriber.js';

/** Orchestrator → latency sampler process. */
export type SamplerCommand =
  | { cmd: 'open'; protocol: WireProtocol; url: string; count: number; firstIndex: number; filter: FilterMode }
  | { cmd: 'mark' }
  | { cmd: 'count' }
  | { cmd: 'report' }
  | { cmd: 'exit' };

/** Latency sampler → orchestrator. */
export type SamplerReply =
  | { type: 'opened'; opened: number; errors: string[] }
  | { type: 'marked' }
  | { type: 'count'; received: number }
  | {
      type: 'report';
      /** publish → receive, ms, one per (client, event) since `mark`. */
      latenciesMs: number[];
      received: number;
      outOfOrder: number;
    };
