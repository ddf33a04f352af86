import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from './secret.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * The configured publish API keys. Candidates are compared in constant time: both sides are hashed
 * to 32 bytes first (so length leaks nothing) and every key is compared (no early exit).
 */
export class ApiKeyRing {
  readonly #hashes: Buffer[];

  constructor(keys: readonly Secret[]) {
    this.#hashes = keys.map((k) => digest(k.reveal()));
  }

  get size(): number {
    return this.#hashes.length;
  }

  matches(candidate: string): boolean {
    const h = digest(candidate);
    let found = false;
    for (const k of this.#hashes) found = timingSafeEqual(h, k) || found;
    return found;
  }
}
