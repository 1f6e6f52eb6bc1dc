import { createHash } from 'node:crypto';
import { GENESIS_CHAIN, chainHash } from './hash-chain';
import { leafHash } from './merkle';

describe('hash chain', () => {
  it('starts from 32 zero bytes and links SHA-256(previous || leaf)', () => {
    expect(GENESIS_CHAIN.equals(Buffer.alloc(32))).toBe(true);
    const leaf = leafHash('{"a":1}');
    const expected = createHash('sha256').update(Buffer.concat([GENESIS_CHAIN, leaf])).digest();
    expect(chainHash(GENESIS_CHAIN, leaf).equals(expected)).toBe(true);
  });

  it('depends on order, so swapped entries give a different head', () => {
    const [a, b] = [leafHash('a'), leafHash('b')];
    const ab = chainHash(chainHash(GENESIS_CHAIN, a), b);
    const ba = chainHash(chainHash(GENESIS_CHAIN, b), a);
    expect(ab.equals(ba)).toBe(false);
  });

  it('refuses inputs that are not 32-byte hashes', () => {
    expect(() => chainHash(GENESIS_CHAIN, Buffer.alloc(31))).toThrow(RangeError);
  });
});
