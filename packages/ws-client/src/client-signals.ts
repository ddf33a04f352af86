import { NsClientError, type ClientErrorCode } from './client-error.js';
import { reportUncaught } from './client-support.js';
import { Emitter } from './emitter.js';
import type { TransportName } from './transport.js';
import type { ClientEvents, ClientState, StateChange } from './types.js';

/**
 * What the client tells the app: its state, the `on()` events, and errors — reported to `on('error')`
 * listeners, or to the platform when they come from the app's own code and nobody listens.
 */
export class ClientSignals {
  readonly #events: Emitter<ClientEvents>;
  #state: ClientState = 'connecting';
  /** The transport in use, announced with every state change. */
  transport: () => TransportName = () => 'websocket';

  constructor() {
    this.#events = new Emitter<ClientEvents>({
      onListenerError: (err, event) => {
        if (event === 'error') reportUncaught(err);
        else this.report('listener_failed', `an on('${String(event)}') listener threw`, { cause: err });
      },
    });
  }

  get state(): ClientState {
    return this.#state;
  }

  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void {
    this.#events.emit(event, payload);
  }

  /** Moves to `state` and announces it; `reconnecting` is announced on every scheduled retry. */
  setState(state: ClientState, info: Omit<StateChange, 'state' | 'previous'>): void {
    const previous = this.#state;
    if (state === previous && state !== 'reconnecting') return;
    this.#state = state;
    this.#events.emit('state', { state, previous, ...info, transport: this.transport() });
  }

  emitError(error: NsClientError, surfaceIfUnheard = false): void {
    if (this.#events.listenerCount('error') === 0) {
      // Errors from the app's own code must not vanish; protocol noise without a listener may.
      if (surfaceIfUnheard) reportUncaught(error);
      return;
    }
    this.#events.emit('error', error);
  }

  /** Reports an error of the client itself (see {@link ClientErrorCode}). */
  report(
    code: ClientErrorCode,
    message: string,
    options: ConstructorParameters<typeof NsClientError>[3] = {},
    surfaceIfUnheard = code === 'listener_failed',
  ): void {
    this.emitError(new NsClientError('client', code, message, options), surfaceIfUnheard);
  }
}
