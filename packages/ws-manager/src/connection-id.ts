import { randomBytes } from 'node:crypto';

// Bytes of randomness per id (12 base64url characters), and ids drawn per call into the CSPRNG.
const ID_BYTES = 9;
const POOL_IDS = 256;

let pool: Buffer | undefined;
let offset = 0;

/**
 * A connection id (`c_` + 12 base64url characters from 9 random bytes), like `newConnectionId`, from
 * random bytes drawn 256 ids at a time: one `randomBytes(9)` per connection was ~26 µs of a ~360 µs
 * handshake (CPU profile, 6,000 connections), and a native allocation left behind for the collector.
 */
export function pooledConnectionId(): string {
  if (pool === undefined || offset === pool.length) {
    pool = randomBytes(ID_BYTES * POOL_IDS);
    offset = 0;
  }
  const id = `c_${pool.toString('base64url', offset, offset + ID_BYTES)}`;
  offset += ID_BYTES;
  return id;
}
