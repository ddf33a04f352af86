import { afterEach } from 'vitest';

/** Anything a test opens and must close: a client, a server. */
export interface Closable {
  close(): unknown;
}

/**
 * Registers an `afterEach` (call it at the top level of a test file) that closes, in parallel and
 * awaited, every resource passed to the returned function during the test; the function returns its
 * argument, so a test writes `const c = track(await TestClient.connect(url))`.
 */
export function closeAfterEach<T extends Closable = Closable>(): <U extends T>(resource: U) => U {
  const open: T[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map(async (r) => r.close()));
  });
  return (resource) => {
    open.push(resource);
    return resource;
  };
}
