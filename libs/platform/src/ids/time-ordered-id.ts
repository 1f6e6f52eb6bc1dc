import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the system at once for this many ids, so an id costs no system call of its own. */
const IDS_PER_DRAW = 256;
const BYTES_PER_ID = 10;
const pool = Buffer.alloc(IDS_PER_DRAW * BYTES_PER_ID);
let drawn = IDS_PER_DRAW;

/**
 * A new UUID of version 7 (RFC 9562): the Unix time in milliseconds in its first 48 bits, then
 * 74 random bits. Ids made in a later millisecond sort after earlier ones, as text and as
 * PostgreSQL `uuid`, so the indexes keyed by them (the log's entry ids, decisions, offers, the
 * events consumers record as handled) grow at their right edge: a random (version 4) id lands
 * on any page of the index, and once the index outgrows memory nearly every insert reads a page
 * and, after each checkpoint, writes it whole to the WAL (bench/time-ordered-ids.ts). Ids within
 * one millisecond are in random order; nothing relies on their order, only on their locality.
 */
export function timeOrderedId(nowMs: number = Date.now()): string {
  if (drawn === IDS_PER_DRAW) {
    randomFillSync(pool);
    drawn = 0;
  }
  const at = drawn++ * BYTES_PER_ID;
  const time = Math.floor(nowMs).toString(16).padStart(12, '0');
  const random = pool.toString('hex', at, at + BYTES_PER_ID);
  const variant = ((parseInt(random.slice(4, 6), 16) & 0x3f) | 0x80).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(1, 4)}-${variant}${random.slice(6, 8)}-${random.slice(8, 20)}`;
}

/** The millisecond a version 7 id was made in (see timeOrderedId). */
export function timeOfId(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
