import type { ChannelName, EventEnvelope, EventType } from '@ns/contracts';

/**
 * An event as delivered by the bus: its envelope plus its JSON serialization, computed at most once
 * and shared by every consumer (the WebSocket layer frames these bytes directly).
 */
export class BusEvent<E extends EventEnvelope = EventEnvelope> {
  readonly envelope: E;
  #json: string | undefined;

  constructor(envelope: E, json?: string) {
    this.envelope = envelope;
    this.#json = json;
  }

  get type(): EventType {
    return this.envelope.type;
  }

  get channel(): ChannelName {
    return this.envelope.channel;
  }

  get seq(): number {
    return this.envelope.seq;
  }

  /** The envelope serialized once, on first use. */
  get json(): string {
    return (this.#json ??= JSON.stringify(this.envelope));
  }
}
