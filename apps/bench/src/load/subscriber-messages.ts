import type { ResumeCursor, WireProtocol } from './raw-subscriber.js';
import type { FilterMode } from './threat-events.js';

/** Orchestrator → subscriber worker. */
export type WorkerCommand =
  | {
      cmd: 'open';
      protocol: WireProtocol;
      host: string;
      port: number;
      /** Global index of this worker's first subscriber: picks its source address and filter. */
      firstIndex: number;
      count: number;
      /** Source addresses 127.0.0.1 … 127.0.0.<sourceAddresses>. */
      sourceAddresses: number;
      /** Subscriber i's filter: `subscriberFilter(filter, i)`. */
      filter: FilterMode;
      track: boolean;
      /** Handshakes in flight per worker. */
      concurrency: number;
    }
  | { cmd: 'mark' }
  | { cmd: 'stats' }
  /** Abruptly close every subscriber, or only `count` of them. */
  | { cmd: 'drop'; count?: number }
  | { cmd: 'reconnect'; targetSeq: number; offset: string }
  | { cmd: 'exit' };

/** Counters of one worker since its last `mark`. */
export interface WorkerStats {
  type: 'stats';
  open: number;
  delivered: number;
  bytes: number;
  /** Clock ms (clockMs) of the last byte received, 0 if none. */
  lastDataAt: number;
  events: number;
  gaps: number;
  duplicates: number;
  /** Highest seq and cursor seen by any tracking subscriber (the orchestrator needs one cursor). */
  maxSeq: number;
  minSeq: number;
}

/** Subscriber worker → orchestrator. */
export type WorkerReply =
  | { type: 'opened'; opened: number; failed: number; errors: string[]; ms: number }
  | { type: 'marked' }
  | WorkerStats
  | { type: 'dropped' }
  | {
      type: 'reconnected';
      opened: number;
      failed: number;
      errors: string[];
      recovered: number;
      /** ms from the storm's start to `subscribed`, and to having every missed event, per subscriber. */
      readyMs: number[];
      caughtUpMs: number[];
      cursor: ResumeCursor | undefined;
    };
