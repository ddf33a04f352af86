import { inspect } from 'node:util';

/**
 * A configured secret (JWT secret, API key). Its value is only reachable through `reveal()`, so a
 * config object can be logged, serialized or inspected without leaking it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
