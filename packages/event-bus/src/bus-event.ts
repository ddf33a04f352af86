import type { ChannelName, EventEnvelope, EventType } from '@ns/contracts';

/**
 * An event as delivered by the bus: its envelope plus its JSON serialization, computed at most once
 * and shared by every consumer (the WebSocket layer frames these bytes directly).
 */
export class BusEvent<E extends EventEnvelope = EventEnvelope> {
  readonly envelope: E;
  #json: string | undefined;
  /** `data` already serialized (by the publish parser), until the envelope's JSON is built around it. */
  #dataJson: string | undefined;

  /** `json`: the envelope's JSON if known; else `dataJson`, its `data` as JSON, saves serializing that again. */
  constructor(envelope: E, json?: string, dataJson?: string) {
    this.envelope = envelope;
    this.#json = json;
    this.#dataJson = json === undefined ? dataJson : undefined;
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
    if (this.#json === undefined) {
      const dataJson = this.#dataJson;
      this.#json = dataJson === undefined ? JSON.stringify(this.envelope) : envelopeJson(this.envelope, dataJson);
      this.#dataJson = undefined;
    }
    return this.#json;
  }
}

/** `JSON.stringify(envelope)`, byte for byte, with `data` given as JSON (the wire's field order). */
export function envelopeJson(envelope: EventEnvelope, dataJson: string): string {
  const { type, channel, id, seq, epoch, ts } = envelope;
  return `{"type":${JSON.stringify(type)},"channel":${JSON.stringify(channel)},"id":${JSON.stringify(id)},"seq":${seq},"epoch":${JSON.stringify(epoch)},"ts":${JSON.stringify(ts)},"data":${dataJson}}`;
}
