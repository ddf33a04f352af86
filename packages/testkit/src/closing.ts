import { afterEach } from 'vitest';

/** Anything a test opens and must close: a client, a server. */
export interface Closable {
  close(): unknown;
}

/** The function {@link closeAfterEach} returns: tracks `resource` (returned as is) until the test ends. */
export type Track<T extends Closable> = <U extends T>(resource: U) => U;

/**
 * Registers an `afterEach` (call it at the top level of a test file) that closes, in parallel and
 * awaited, every resource passed to the returned function during the test; `beforeClose` runs on each
 * first (e.g. resume a paused socket so its closing handshake can complete). A test writes
 * `const c = track(await TestClient.connect(url))`.
 *
 * vitest runs after-each hooks in stack order (the last registered first): call this after the
 * `afterEach` that closes the server, so the clients close before it.
 */
export function closeAfterEach<T extends Closable = Closable>(beforeClose?: (resource: T) => void): Track<T> {
  const open: T[] = [];
  afterEach(async () => {
    const closing = open.splice(0);
    if (beforeClose !== undefined) for (const r of closing) beforeClose(r);
    await Promise.all(closing.map(async (r) => r.close()));
  });
  return (resource) => {
    open.push(resource);
    return resource;
  };
}
