/**
 * Readiness of one gateway process: ready while the engine is connected and the process is not
 * draining. Draining is one-way: once shutdown starts, publishes get 503 and /readyz fails so the
 * load balancer stops sending traffic.
 */
export class Lifecycle {
  #draining = false;
  readonly #engineReady: () => boolean;

  constructor(engineReady: () => boolean) {
    this.#engineReady = engineReady;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get engineReady(): boolean {
    return this.#engineReady();
  }

  /** True when new publishes and connections are accepted. */
  get ready(): boolean {
    return !this.#draining && this.#engineReady();
  }

  startDraining(): void {
    this.#draining = true;
  }
}
