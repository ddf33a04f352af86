/**
 * HS256 token verification: the authenticator (secret imported once as a CryptoKey) against jose's
 * `jwtVerify` given the secret's bytes, which imports a key on every call (what the authenticator did
 * before). Same token, same checks, alternating runs in one process.
 *
 *   npx tsx --conditions=@ns/source packages/ws-server/bench/jwt-verify.bench.ts
 *
 * Reported: median µs per verification over BENCH_RUNS runs (default 7) of BENCH_TOKENS verifications
 * each (default 5,000), and their ratio.
 */
import { jwtVerify, SignJWT } from 'jose';
import { jwtAuthenticator } from '../src/jwt-authenticator.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 5000);
const secret = 'bench-secret-'.repeat(4);
const bytes = new TextEncoder().encode(secret);
const token = await new SignJWT({ sub: 'analyst-1', roles: ['analyst'], token_type: 'access' })
  .setProtectedHeader({ alg: 'HS256' })
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(bytes);
const authenticator = jwtAuthenticator({ secret });

async function timePerCall(verify: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < TOKENS; i++) await verify();
  return ((performance.now() - t0) * 1000) / TOKENS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const product: number[] = [];
const bytesEachTime: number[] = [];
// One warm-up run of each, not counted.
await timePerCall(() => authenticator.verify(token));
await timePerCall(() => jwtVerify(token, bytes, { algorithms: ['HS256'] }));
for (let r = 0; r < RUNS; r++) {
  product.push(await timePerCall(() => authenticator.verify(token)));
  bytesEachTime.push(await timePerCall(() => jwtVerify(token, bytes, { algorithms: ['HS256'] })));
}
const a = median(product);
const b = median(bytesEachTime);
console.log(`jwtAuthenticator (key imported once): ${a.toFixed(1)} µs per token (runs: ${product.map((x) => x.toFixed(1)).join(' ')})`);
console.log(`jose jwtVerify with the secret bytes: ${b.toFixed(1)} µs per token (runs: ${bytesEachTime.map((x) => x.toFixed(1)).join(' ')})`);
console.log(`ratio: ${(a / b).toFixed(2)}× (claims checks and principal mapping included on the authenticator's side)`);
