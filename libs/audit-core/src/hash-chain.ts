/**
 * A hash chain over the log's leaf hashes: each link commits to every entry before it, so an
 * entry cannot be edited, dropped or reordered without breaking every later link.
 */
import { hash } from 'node:crypto';

/** The link before the first entry. Shared and typed arrays cannot be frozen: never write into it. */
export const GENESIS_CHAIN: Buffer = Buffer.alloc(32);

/** SHA-256(previous || leafHash): the link that follows `previous` for an entry with that leaf hash. */
export function chainHash(previous: Buffer, leafHash: Buffer): Buffer {
  if (previous.length !== 32 || leafHash.length !== 32) throw new RangeError('chain links and leaf hashes have 32 bytes');
  return hash('sha256', Buffer.concat([previous, leafHash], 64), 'buffer');
}
