'use strict';
// Loaded with `node --expose-gc -r` into every server under test of the capacity scenario (never into
// the product): on SIGUSR2 the server runs two full garbage collections, so that the bench can read
// what its live connections keep, apart from the garbage a connection burst leaves. Node 20's V8 does
// not collect that garbage by itself when the process goes idle (measured: a process that promoted
// ~100 MB of garbage kept it through 37 s of idling), so RSS after an idle period depends on when the
// last mark-compact happened to run during the burst.
if (typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    globalThis.gc();
  });
}
