import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkTracked, stopChild } from '../measure/processes.js';
import { nextMessage } from './ipc.js';
import type { WireProtocol } from './raw-subscriber.js';
import type { FilterMode } from './threat-events.js';
import type { SamplerCommand, SamplerReply } from './sampler-messages.js';

const WORKER = fileURLToPath(new URL('./sampler-worker.ts', import.meta.url));

/** The real, event-parsing clients of a run, in one child process. */
export class LatencySamplers {
  #child: ChildProcess | undefined;

  async open(o: { protocol: WireProtocol; url: string; count: number; firstIndex: number; filter: FilterMode }): Promise<{ opened: number; errors: string[] }> {
    if (o.count === 0) return { opened: 0, errors: [] };
    const child = forkTracked(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child = child;
    const reply = nextMessage<Extract<SamplerReply, { type: 'opened' }>>(child, 'opened', 60_000);
    child.send({ cmd: 'open', ...o } satisfies SamplerCommand);
    return reply;
  }

  async mark(): Promise<void> {
    await this.#ask({ cmd: 'mark' }, 'marked');
  }

  async received(): Promise<number> {
    return (await this.#ask<Extract<SamplerReply, { type: 'count' }>>({ cmd: 'count' }, 'count'))?.received ?? 0;
  }

  async report(): Promise<{ latenciesMs: number[]; received: number; outOfOrder: number }> {
    return (await this.#ask<Extract<SamplerReply, { type: 'report' }>>({ cmd: 'report' }, 'report')) ?? { latenciesMs: [], received: 0, outOfOrder: 0 };
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined) return;
    if (child.connected) child.send({ cmd: 'exit' } satisfies SamplerCommand);
    await stopChild(child, 3000);
  }

  async #ask<T extends SamplerReply>(cmd: SamplerCommand, type: T['type']): Promise<T | undefined> {
    const child = this.#child;
    if (child === undefined) return undefined;
    const reply = nextMessage<T>(child, type, 60_000);
    child.send(cmd);
    return reply;
  }
}
