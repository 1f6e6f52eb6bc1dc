/**
 * RFC 6962 (RFC 9162) Merkle tree: leaf and node hashing, tree heads, inclusion and consistency
 * proofs, and an append-only in-memory log that answers proofs from stored subtree hashes.
 */
import { createHash, hash } from 'node:crypto';

const HASH_SIZE = 32;
const MAX_UINT64 = (1n << 64n) - 1n;

/** SHA-256(0x00 || data): the hash of one log entry. A string is hashed as UTF-8. */
export function leafHash(data: Buffer | string): Buffer {
  // One-shot hashing of one buffer is about twice as fast as a streaming Hash for log-sized
  // entries; U+0000 encodes to the single byte 0x00, so the prefix can ride on the string.
  return typeof data === 'string' ? hash('sha256', `\u0000${data}`, 'buffer') : hash('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer');
}

const LEAF_PREFIX = Buffer.of(0);
const NODE_PREFIX = Buffer.of(1);

/** SHA-256(0x01 || left || right): the hash of an interior node. */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return hash('sha256', Buffer.concat([NODE_PREFIX, left, right], 1 + left.length + right.length), 'buffer');
}

/** The root of the empty tree: SHA-256 of no bytes. */
export function emptyRoot(): Buffer {
  return createHash('sha256').digest();
}

/** MTH(D[n]) of RFC 6962 §2.1 over already-hashed leaves. */
export function rootOf(leafHashes: readonly Buffer[]): Buffer {
  if (leafHashes.length === 0) return emptyRoot();
  return Buffer.from(subtreeRoot(leafHashes, 0, leafHashes.length));
}

function subtreeRoot(leaves: readonly Buffer[], begin: number, end: number): Buffer {
  if (end - begin === 1) return leaves[begin];
  const k = largestPowerOfTwoBelow(end - begin);
  return nodeHash(subtreeRoot(leaves, begin, begin + k), subtreeRoot(leaves, begin + k, end));
}

/** Largest power of two strictly below n (n ≥ 2); multiplication keeps it exact past 2^31. */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Raised when a proof does not verify, or its arguments cannot describe a valid proof. */
export class ProofError extends Error {
  override readonly name = 'ProofError';
}

/** A tree size or leaf index: a number, or a bigint when it may exceed 2^53. */
export type TreeIndex = number | bigint;

/** Arguments of {@link verifyInclusion}: proof lists the sibling hashes from the leaf upwards. */
export interface InclusionCheck {
  index: TreeIndex;
  size: TreeIndex;
  leafHash: Buffer;
  proof: readonly Buffer[];
  root: Buffer;
}

/** Arguments of {@link verifyConsistency}: proof as produced by RFC 6962 §2.1.2 PROOF(size1, D[size2]). */
export interface ConsistencyCheck {
  size1: TreeIndex;
  size2: TreeIndex;
  root1: Buffer;
  root2: Buffer;
  proof: readonly Buffer[];
}

/** Checks an inclusion proof; throws ProofError when it is not valid. Requires 0 ≤ index < size. */
export function verifyInclusion(check: InclusionCheck): void {
  verifyMatch(rootFromInclusionProof(check), check.root, 'inclusion');
}

/** The root hash that an inclusion proof implies; throws ProofError when its shape is wrong. */
export function rootFromInclusionProof(check: Omit<InclusionCheck, 'root'>): Buffer {
  const index = toUint64(check.index, 'index');
  const size = toUint64(check.size, 'size');
  if (index >= size) throw new ProofError(`index is beyond size: ${index} >= ${size}`);
  if (check.leafHash.length !== HASH_SIZE) {
    throw new ProofError(`leafHash has unexpected size ${check.leafHash.length}, want ${HASH_SIZE}`);
  }
  const { inner, border } = decompInclProof(index, size);
  if (check.proof.length !== inner + border) {
    throw new ProofError(`wrong proof size ${check.proof.length}, want ${inner + border}`);
  }
  const res = chainInner(check.leafHash, check.proof.slice(0, inner), index);
  return chainBorderRight(res, check.proof.slice(inner));
}

/** Checks that the tree of size1 with root1 is a prefix of the tree of size2 with root2. */
export function verifyConsistency(check: ConsistencyCheck): void {
  verifyMatch(rootFromConsistencyProof(check), check.root2, 'consistency');
}

/**
 * The root at size2 that a consistency proof implies, after checking it against root1.
 * A proof from the empty tree proves nothing, so size1 = 0 is refused even when size2 = 0, as the
 * published vectors require.
 */
export function rootFromConsistencyProof(check: Omit<ConsistencyCheck, 'root2'>): Buffer {
  const size1 = toUint64(check.size1, 'size1');
  const size2 = toUint64(check.size2, 'size2');
  const { proof, root1 } = check;
  if (size2 < size1) throw new ProofError(`size2 (${size2}) < size1 (${size1})`);
  if (size1 === 0n) throw new ProofError('consistency proof from empty tree is meaningless');
  if (size1 === size2) {
    if (proof.length > 0) throw new ProofError('size1=size2, but proof is not empty');
    return root1;
  }
  if (proof.length === 0) throw new ProofError('empty proof');

  const decomposed = decompInclProof(size1 - 1n, size2);
  const shift = trailingZeros(size1);
  // shift < inner whenever size1 < size2, so inner stays positive.
  const inner = decomposed.inner - shift;
  const { border } = decomposed;
  // The proof starts with the hash of the 2^shift subtree, unless size1 is that very subtree.
  let seed = proof[0];
  let start = 1;
  if (size1 === 1n << BigInt(shift)) {
    seed = root1;
    start = 0;
  }
  if (proof.length !== start + inner + border) {
    throw new ProofError(`wrong proof size ${proof.length}, want ${start + inner + border}`);
  }
  const rest = proof.slice(start);
  const mask = (size1 - 1n) >> BigInt(shift);
  const hash1 = chainBorderRight(chainInnerRight(seed, rest.slice(0, inner), mask), rest.slice(inner));
  verifyMatch(hash1, root1, 'consistency (first tree)');
  return chainBorderRight(chainInner(seed, rest.slice(0, inner), mask), rest.slice(inner));
}

function verifyMatch(calculated: Buffer, expected: Buffer, what: string): void {
  if (!calculated.equals(expected)) {
    throw new ProofError(`${what}: calculated root ${calculated.toString('hex')} does not match expected root ${expected.toString('hex')}`);
  }
}

/** Go's uint64 semantics: reject what a uint64 cannot hold instead of wrapping it. */
function toUint64(value: TreeIndex, name: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new ProofError(`${name} ${value} is not an exact integer`);
  const big = BigInt(value);
  if (big < 0n || big > MAX_UINT64) throw new ProofError(`${name} ${value} is not a uint64`);
  return big;
}

/**
 * Splits the proof for `index` in a tree of `size` where the paths to `index` and `size - 1`
 * diverge: `inner` hashes below that point, `border` hashes along the right border above it.
 */
function decompInclProof(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = innerProofSize(index, size);
  return { inner, border: onesCount(index >> BigInt(inner)) };
}

function innerProofSize(index: bigint, size: bigint): number {
  return bitLength(index ^ (size - 1n));
}

function chainInner(seed: Buffer, proof: readonly Buffer[], index: bigint): Buffer {
  return proof.reduce((acc, h, i) => (((index >> BigInt(i)) & 1n) === 0n ? nodeHash(acc, h) : nodeHash(h, acc)), seed);
}

/** Like chainInner but keeps only left siblings: the hash of the earlier version of the subtree. */
function chainInnerRight(seed: Buffer, proof: readonly Buffer[], index: bigint): Buffer {
  return proof.reduce((acc, h, i) => (((index >> BigInt(i)) & 1n) === 1n ? nodeHash(h, acc) : acc), seed);
}

function chainBorderRight(seed: Buffer, proof: readonly Buffer[]): Buffer {
  return proof.reduce((acc, h) => nodeHash(h, acc), seed);
}

// JavaScript's bitwise operators truncate to 32 bits, so tree arithmetic runs on bigint.
function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function onesCount(x: bigint): number {
  return x.toString(2).split('').filter((c) => c === '1').length;
}

function trailingZeros(x: bigint): number {
  if (x === 0n) return 64;
  let n = 0;
  while (((x >> BigInt(n)) & 1n) === 0n) n++;
  return n;
}

/** A growable array of 32-byte hashes held in one Buffer, so a million hashes are one allocation. */
class HashArray {
  private data = Buffer.allocUnsafe(HASH_SIZE * 16);
  length = 0;

  push(hash: Buffer): void {
    if ((this.length + 1) * HASH_SIZE > this.data.length) {
      const bigger = Buffer.allocUnsafe(this.data.length * 2);
      this.data.copy(bigger, 0, 0, this.length * HASH_SIZE);
      this.data = bigger;
    }
    hash.copy(this.data, this.length * HASH_SIZE, 0, HASH_SIZE);
    this.length++;
  }

  /** A view, not a copy: entries are never rewritten, so the view stays valid after growth. */
  at(i: number): Buffer {
    return this.data.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }
}

/**
 * An append-only Merkle log in memory. Besides the leaf hashes it stores, for every level k ≥ 1,
 * the hash of each complete aligned subtree of 2^k leaves, so any RFC 6962 subtree hash, root,
 * inclusion proof or consistency proof costs O(log n) hashes instead of a walk over the leaves.
 */
export class MerkleLog {
  /** levels[0] holds the leaves; levels[k] the complete subtrees of 2^k leaves. */
  private readonly levels: HashArray[] = [new HashArray()];

  /** Number of leaves appended so far. */
  get size(): number {
    return this.levels[0].length;
  }

  /** Appends one 32-byte leaf hash and returns its index. */
  append(hash: Buffer): number {
    if (hash.length !== HASH_SIZE) throw new RangeError(`a leaf hash has ${HASH_SIZE} bytes, not ${hash.length}`);
    this.levels[0].push(hash);
    const index = this.size - 1;
    // Each trailing 1 bit of the index completes one more subtree, one level higher.
    let level = 0;
    let node = index;
    while (node % 2 === 1) {
      const below = this.levels[level];
      if (this.levels.length === level + 1) this.levels.push(new HashArray());
      this.levels[level + 1].push(nodeHash(below.at(node - 1), below.at(node)));
      level++;
      node = Math.floor(node / 2);
    }
    return index;
  }

  /** Appends a run of concatenated 32-byte leaf hashes; returns the index of the first. */
  appendMany(hashes: Buffer): number {
    if (hashes.length % HASH_SIZE !== 0) throw new RangeError(`leaf hashes must come in ${HASH_SIZE}-byte units`);
    const first = this.size;
    for (let offset = 0; offset < hashes.length; offset += HASH_SIZE) this.append(hashes.subarray(offset, offset + HASH_SIZE));
    return first;
  }

  /** The hash of leaf i. */
  leaf(i: number): Buffer {
    this.checkIndex(i, 0, this.size - 1, 'leaf index');
    return Buffer.from(this.levels[0].at(i));
  }

  /** The root of the tree formed by the first `size` leaves. */
  root(size: number = this.size): Buffer {
    this.checkIndex(size, 0, this.size, 'tree size');
    return size === 0 ? emptyRoot() : Buffer.from(this.rangeHash(0, size));
  }

  /** PATH(index, D[size]) of RFC 6962 §2.1.1, from the leaf's sibling up to the root's child. */
  inclusionProof(index: number, size: number = this.size): Buffer[] {
    this.checkIndex(size, 1, this.size, 'tree size');
    this.checkIndex(index, 0, size - 1, 'leaf index');
    const path: Buffer[] = [];
    let begin = 0;
    let end = size;
    while (end - begin > 1) {
      const k = largestPowerOfTwoBelow(end - begin);
      if (index < begin + k) {
        path.push(this.rangeHash(begin + k, end));
        end = begin + k;
      } else {
        path.push(this.rangeHash(begin, begin + k));
        begin += k;
      }
    }
    return path.reverse().map((h) => Buffer.from(h));
  }

  /** PROOF(size1, D[size2]) of RFC 6962 §2.1.2; needs 1 ≤ size1 ≤ size2 ≤ size. */
  consistencyProof(size1: number, size2: number = this.size): Buffer[] {
    this.checkIndex(size2, 1, this.size, 'tree size');
    this.checkIndex(size1, 1, size2, 'earlier tree size');
    const proof: Buffer[] = [];
    let begin = 0;
    let end = size2;
    let m = size1;
    let whole = true; // SUBPROOF's b: the old tree is still the whole of [begin, end).
    while (m !== end - begin) {
      const k = largestPowerOfTwoBelow(end - begin);
      if (m <= k) {
        proof.push(this.rangeHash(begin + k, end));
        end = begin + k;
      } else {
        proof.push(this.rangeHash(begin, begin + k));
        begin += k;
        m -= k;
        whole = false;
      }
    }
    if (!whole) proof.push(this.rangeHash(begin, end));
    return proof.reverse().map((h) => Buffer.from(h));
  }

  /** MTH(D[begin:end]): a complete aligned subtree is looked up, anything else is split as MTH does. */
  private rangeHash(begin: number, end: number): Buffer {
    const width = end - begin;
    const level = Math.log2(width);
    if (Number.isInteger(level) && 2 ** level === width && begin % width === 0) return this.levels[level].at(begin / width);
    const k = largestPowerOfTwoBelow(width);
    return nodeHash(this.rangeHash(begin, begin + k), this.rangeHash(begin + k, end));
  }

  private checkIndex(value: number, min: number, max: number, name: string): void {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(`${name} ${value} is outside [${min}, ${max}] for a log of ${this.size} leaves`);
    }
  }
}
