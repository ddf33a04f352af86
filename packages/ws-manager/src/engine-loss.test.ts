import { CLOSE_CODES } from '@ns/contracts';
import { EventBus, MemoryEngine, type EngineLoss } from '@ns/event-bus';
import { closeAfterEach } from '@ns/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, startManagerServer, threat, type ManagerServer } from '../test/harness.js';

/**
 * A MemoryEngine that can report a loss the way RedisEngine does when its pub/sub feed missed more
 * than history holds: the events are stored (seq advances) but never reach the listeners.
 */
class LossyEngine extends MemoryEngine {
  #lossListeners: ((loss: EngineLoss) => void)[] = [];
  #swallowing = false;

  override subscribe(listener: Parameters<MemoryEngine['subscribe']>[0]): () => void {
    return super.subscribe((event) => {
      if (!this.#swallowing) listener(event);
    });
  }

  onLoss(listener: (loss: EngineLoss) => void): () => void {
    this.#lossListeners.push(listener);
    return () => {
      this.#lossListeners = this.#lossListeners.filter((l) => l !== listener);
    };
  }

  /** Appends while no listener hears it, then reports those seqs lost (before anything later is delivered). */
  async loseWhile(append: () => Promise<unknown>): Promise<EngineLoss> {
    const channel = 'threats' as const;
    const before = (await this.heads())[channel];
    this.#swallowing = true;
    try {
      await append();
    } finally {
      this.#swallowing = false;
    }
    const after = (await this.heads())[channel];
    const loss: EngineLoss = { channel, epoch: after.epoch, fromSeq: before.seq + 1, toSeq: after.seq };
    for (const l of this.#lossListeners) l(loss);
    return loss;
  }
}

let server: ManagerServer | undefined;

async function connect(s: ManagerServer): Promise<TestClient> {
  return track(await TestClient.connect(s.url));
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});
// After the server's hook: hooks run in stack order, so the clients close first.
const track = closeAfterEach<TestClient>();

describe('WsManager when the engine reports lost events', () => {
  it('closes the lossless channel subscribers with 4008 after flushing what came before the gap', async () => {
    const engine = new LossyEngine();
    const bus = new EventBus({ engine });
    server = await startManagerServer({ bus });
    const reader = await connect(server);
    await reader.request({ type: 'subscribe', id: 's', channel: 'threats' });
    for (let i = 0; i < 3; i++) await bus.publish(threat(i));

    const loss = await engine.loseWhile(async () => {
      for (let i = 0; i < 4; i++) await bus.publish(threat(i));
    });
    expect(loss).toMatchObject({ fromSeq: 4, toSeq: 7 });
    await bus.publish(threat(9)); // seq 8: must not reach the reader as a silent jump from 3

    expect(await reader.closed).toMatchObject({ code: CLOSE_CODES.SLOW_CONSUMER });
    expect(reader.events('threats').map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(server.manager.stats().lossCloses).toBe(1);

  });

  it('leaves connections alone that read only other channels', async () => {
    const engine = new LossyEngine();
    const bus = new EventBus({ engine });
    server = await startManagerServer({ bus });
    const other = await connect(server);
    await other.request({ type: 'subscribe', id: 's', channel: 'alerts' });
    await engine.loseWhile(() => bus.publish(threat(1)));
    await bus.publish({ type: 'alert.new', data: { id: 'a1', severity: 'high', message: 'm', timestamp: 1 } });
    expect((await other.waitForEvents('alerts', 1))[0]).toMatchObject({ seq: 1 });
    expect(server.manager.stats().lossCloses).toBe(0);
    expect(other.ws.readyState).toBe(other.ws.OPEN);
  });
});
