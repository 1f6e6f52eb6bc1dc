import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import {
  MerkleLog,
  ProofError,
  emptyRoot,
  leafHash,
  rootFromInclusionProof,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle';

/** The transparency-dev/merkle vectors live beside the repository and are never copied into it. */
const VECTORS = join(__dirname, '../../../../shared/vectors/rfc6962/testdata');
const haveVectors = existsSync(VECTORS);

/** Every JSON file under dir, as paths relative to VECTORS. */
function vectorFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => relative(VECTORS, join(dir, f)))
    .sort();
}

/** Parses a vector, keeping its sizes exact: some are near 2^64, beyond what a JSON number holds. */
function readVector(file: string): Record<string, unknown> {
  const text = readFileSync(join(VECTORS, file), 'utf8').replace(/"(leafIdx|treeSize|size1|size2)":\s*(\d+)/g, '"$1":"$2"');
  return JSON.parse(text) as Record<string, unknown>;
}

const b64 = (s: unknown): Buffer => Buffer.from(typeof s === 'string' ? s : '', 'base64');
const proofOf = (p: unknown): Buffer[] => (Array.isArray(p) ? p.map(b64) : []);
const big = (v: unknown): bigint => BigInt(String(v));

/** Runs the check a vector describes; throws when it is rejected. */
function runInclusion(v: Record<string, unknown>): void {
  verifyInclusion({ index: big(v.leafIdx), size: big(v.treeSize), leafHash: b64(v.leafHash), proof: proofOf(v.proof), root: b64(v.root) });
}

function runConsistency(v: Record<string, unknown>): void {
  verifyConsistency({ size1: big(v.size1), size2: big(v.size2), root1: b64(v.root1), root2: b64(v.root2), proof: proofOf(v.proof) });
}

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** The eight-leaf tree of the RFC 6962 reference tests, with the root of each prefix. */
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

function logOf(leaves: readonly Buffer[]): MerkleLog {
  const log = new MerkleLog();
  for (const l of leaves) log.append(l);
  return log;
}

describe('RFC 6962 Merkle tree', () => {
  const hashes = LEAVES.map((l) => leafHash(l));

  it('computes the reference roots of every prefix of the eight-leaf tree', () => {
    expect(emptyRoot().toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const log = logOf(hashes);
    ROOTS.forEach((root, i) => {
      expect(rootOf(hashes.slice(0, i + 1)).toString('hex')).toBe(root);
      expect(log.root(i + 1).toString('hex')).toBe(root);
    });
  });

  it('produces the reference proofs of the eight-leaf tree', () => {
    const log = logOf(hashes);
    const h = (proof: Buffer[]) => proof.map((p) => p.toString('hex'));
    expect(h(log.inclusionProof(0))).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(h(log.inclusionProof(2, 3))).toEqual(['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']);
    expect(h(log.consistencyProof(6, 7))).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(h(log.consistencyProof(2, 5))).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
    expect(log.consistencyProof(8, 8)).toEqual([]);
  });

  it('refuses out-of-range arguments with RangeError', () => {
    const log = logOf(hashes);
    expect(() => log.leaf(8)).toThrow(RangeError);
    expect(() => log.root(9)).toThrow(RangeError);
    expect(() => log.inclusionProof(3, 3)).toThrow(RangeError);
    expect(() => log.inclusionProof(0, 0)).toThrow(RangeError);
    expect(() => log.consistencyProof(0, 4)).toThrow(RangeError);
    expect(() => log.consistencyProof(5, 4)).toThrow(RangeError);
    expect(() => log.consistencyProof(1.5, 4)).toThrow(RangeError);
    expect(() => log.append(Buffer.alloc(31))).toThrow(RangeError);
    expect(new MerkleLog().root().equals(emptyRoot())).toBe(true);
  });

  it('reasons about sizes beyond 2^32 without 32-bit truncation', () => {
    const size = 2n ** 40n + 5n;
    const index = 2n ** 33n + 1n;
    // inner = bitlen(index ^ (size - 1)) = 41 hashes; border = ones(index >> 41) = 0.
    const proof = Array.from({ length: 41 }, () => Buffer.alloc(32));
    expect(() => rootFromInclusionProof({ index, size, leafHash: Buffer.alloc(32), proof })).not.toThrow();
    expect(() => rootFromInclusionProof({ index, size, leafHash: Buffer.alloc(32), proof: proof.slice(1) })).toThrow(ProofError);
    expect(() => rootFromInclusionProof({ index: 2 ** 53, size: 2 ** 54, leafHash: Buffer.alloc(32), proof })).toThrow(ProofError);
  });
});

describe('MerkleLog against rootOf and the verifiers (property tests)', () => {
  const leafSets = fc.array(fc.uint8Array({ maxLength: 12 }), { minLength: 1, maxLength: 300 });

  it('gives the same roots as rootOf and inclusion proofs that verify, and only as given', () => {
    fc.assert(
      fc.property(leafSets, fc.nat(), fc.nat(), (data, pick, bit) => {
        // The position goes into each leaf so that no two leaves collide and a moved index must fail.
        const hashes = data.map((d, i) => leafHash(Buffer.concat([Buffer.from(`${i}:`), d])));
        const log = logOf(hashes);
        const size = 1 + (pick % hashes.length);
        const root = log.root(size);
        expect(root.equals(rootOf(hashes.slice(0, size)))).toBe(true);
        for (let index = 0; index < size; index++) {
          const proof = log.inclusionProof(index, size);
          verifyInclusion({ index, size, leafHash: hashes[index], proof, root });
          expect(() => verifyInclusion({ index: index + 1, size, leafHash: hashes[index], proof, root })).toThrow(ProofError);
          const badRoot = Buffer.from(root);
          badRoot[bit % 32] ^= 1;
          expect(() => verifyInclusion({ index, size, leafHash: hashes[index], proof, root: badRoot })).toThrow(ProofError);
          if (proof.length > 0) {
            const bad = proof.map((p) => Buffer.from(p));
            bad[bit % bad.length][(bit >> 5) % 32] ^= 1 << (bit % 8);
            expect(() => verifyInclusion({ index, size, leafHash: hashes[index], proof: bad, root })).toThrow(ProofError);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('gives consistency proofs that verify between every pair of sizes', () => {
    fc.assert(
      fc.property(leafSets, fc.nat(), (data, pick) => {
        const log = logOf(data.map((d) => leafHash(Buffer.from(d))));
        const size2 = 1 + (pick % log.size);
        const root2 = log.root(size2);
        for (let size1 = 1; size1 <= size2; size1++) {
          const proof = log.consistencyProof(size1, size2);
          const root1 = log.root(size1);
          verifyConsistency({ size1, size2, root1, root2, proof });
          const badRoot1 = Buffer.from(root1);
          badRoot1[size1 % 32] ^= 0x10;
          expect(() => verifyConsistency({ size1, size2, root1: badRoot1, root2, proof })).toThrow(ProofError);
          if (proof.length > 0) {
            const bad = proof.map((p) => Buffer.from(p));
            bad[size1 % bad.length][0] ^= 0x10;
            expect(() => verifyConsistency({ size1, size2, root1, root2, proof: bad })).toThrow(ProofError);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('answers proofs on a large log from stored subtrees', () => {
    const log = new MerkleLog();
    const run = Buffer.alloc(32 * 200_000);
    for (let i = 0; i < 200_000; i++) run.writeUInt32BE(i, i * 32);
    log.appendMany(run);
    const started = process.hrtime.bigint();
    const proof = log.inclusionProof(123_457, 199_999);
    const consistency = log.consistencyProof(77_777, 199_999);
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    const root = log.root(199_999);
    verifyInclusion({ index: 123_457, size: 199_999, leafHash: log.leaf(123_457), proof, root });
    verifyConsistency({ size1: 77_777, size2: 199_999, root1: log.root(77_777), root2: root, proof: consistency });
    expect(micros).toBeLessThan(50_000);
  });
});

describe('published RFC 6962 proof vectors (transparency-dev/merkle)', () => {
  if (!haveVectors) {
    it('needs the published vectors in ../shared/vectors/rfc6962 (absent in this checkout)', () => {
      console.warn(`RFC 6962 vectors not found at ${VECTORS}: the published-vector tests were not run`);
    });
    return;
  }

  const inclusion = vectorFiles(join(VECTORS, 'inclusion'));
  const consistency = vectorFiles(join(VECTORS, 'consistency'));
  it('finds the published vectors', () => {
    expect(inclusion.length).toBeGreaterThan(50);
    expect(consistency.length).toBeGreaterThan(50);
  });

  it.each(inclusion)('inclusion vector %s', (file) => {
    const v = readVector(file);
    if (v.wantErr === false) expect(() => runInclusion(v)).not.toThrow();
    else expect(() => runInclusion(v)).toThrow(ProofError);
  });

  it.each(consistency)('consistency vector %s', (file) => {
    const v = readVector(file);
    if (v.wantErr === false) expect(() => runConsistency(v)).not.toThrow();
    else expect(() => runConsistency(v)).toThrow(ProofError);
  });
});
