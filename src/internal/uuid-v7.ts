import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let sequence = 0;
// Random bytes are drawn 4 KiB at a time: one system call per 512 ids instead of one per id.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by creation time —
 * which keeps outbox primary keys index-friendly and message ids readable in order. Within one
 * millisecond a 12-bit counter keeps ids from this process monotonic.
 */
export function uuidv7(): string {
  let now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    // More than 4096 ids in one millisecond: borrow the next millisecond rather than lose ordering.
    lastMs++;
    sequence = 0;
  }
  now = lastMs;
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
