import { canonicalJson } from './canonical-json';
import { type Checkpoint, keyIdOf, publicKeyOf, signCheckpoint, signingKeyFromSeed } from './checkpoint';
import { GENESIS_CHAIN, chainHash } from './hash-chain';
import { ExportVerifier, type ExportEntry, LOG_EXPORT_FORMAT, type VerificationReport, exportEntry } from './log-export';
import { MerkleLog, leafHash } from './merkle';

const ORIGIN = 'clearwork.test/audit';
const key = signingKeyFromSeed(Buffer.alloc(32, 1));
const otherKey = signingKeyFromSeed(Buffer.alloc(32, 2));
const publicKey = publicKeyOf(key);

type Line = Record<string, unknown>;

const bodyOf = (seq: number, note = 'ok'): string => canonicalJson({ seq, event: 'offer.accepted', workerId: `w-${seq % 17}`, note });

/** Signs the tree head of `log` at its current size. */
function checkpointOf(log: MerkleLog, signer = key): Checkpoint {
  const timestamp = new Date(Date.UTC(2025, 0, 1) + log.size * 1000).toISOString();
  return signCheckpoint({ origin: ORIGIN, treeSize: log.size, rootHash: log.root().toString('hex'), timestamp }, signer);
}

/** An export of `count` entries with a checkpoint after every 50, and one at the end. */
function buildExport(count = 300, bodies: (seq: number) => string = bodyOf): { lines: Line[]; checkpoints: Checkpoint[] } {
  const lines: Line[] = [
    { kind: 'header', format: LOG_EXPORT_FORMAT, origin: ORIGIN, publicKey: publicKey.toString('base64'), keyId: keyIdOf(publicKey), exportedAt: '2025-02-01T00:00:00.000Z' },
  ];
  const log = new MerkleLog();
  const checkpoints: Checkpoint[] = [];
  let chain = GENESIS_CHAIN;
  for (let seq = 0; seq < count; seq++) {
    const entry = exportEntry(seq, bodies(seq), chain);
    chain = Buffer.from(entry.chainHash, 'hex');
    log.append(Buffer.from(entry.leafHash, 'hex'));
    lines.push(entry);
    if (log.size % 50 === 0 || seq === count - 1) {
      checkpoints.push(checkpointOf(log));
      lines.push({ kind: 'checkpoint', ...checkpoints[checkpoints.length - 1] });
    }
  }
  return { lines, checkpoints };
}

function verify(lines: readonly unknown[], trusted?: Checkpoint, pinned?: Buffer): VerificationReport {
  const verifier = new ExportVerifier({ publicKey: pinned });
  for (const line of lines) verifier.push(line);
  return verifier.finish({ trusted });
}

const entryIndex = (lines: Line[], seq: number): number => lines.findIndex((l) => l.kind === 'entry' && l.seq === seq);
const messages = (r: VerificationReport): string[] => r.problems.map((p) => `${p.at}: ${p.message}`);

/** Recomputes leaf and chain hashes from `fromSeq` on, as a forger with write access would. */
function rechain(lines: Line[], fromSeq: number): void {
  let chain = fromSeq === 0 ? GENESIS_CHAIN : Buffer.from(lines[entryIndex(lines, fromSeq - 1)].chainHash as string, 'hex');
  for (const line of lines) {
    if (line.kind !== 'entry' || (line.seq as number) < fromSeq) continue;
    const leaf = leafHash(line.body as string);
    chain = chainHash(chain, leaf);
    Object.assign(line, { leafHash: leaf.toString('hex'), chainHash: chain.toString('hex') });
  }
}

describe('log export verification', () => {
  it('accepts an untouched export', () => {
    const { lines, checkpoints } = buildExport();
    const report = verify(lines, checkpoints[2], publicKey);
    expect(messages(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, entries: 300, checkpoints: 6, problemCount: 0 });
    expect(report.latest).toEqual(checkpoints[5]);
    expect(report.rootHash).toBe(checkpoints[5].rootHash);
  });

  it('accepts checkpoints that all come at the end', () => {
    const { lines } = buildExport();
    const reordered = [...lines.filter((l) => l.kind !== 'checkpoint'), ...lines.filter((l) => l.kind === 'checkpoint')];
    expect(verify(reordered).ok).toBe(true);
  });

  it('catches a changed body byte', () => {
    const { lines } = buildExport();
    const entry = lines[entryIndex(lines, 120)] as ExportEntry;
    entry.body = entry.body.replace('"note":"ok"', '"note":"ko"');
    const report = verify(lines);
    expect(report.ok).toBe(false);
    expect(messages(report)).toContain('seq 120: body does not match its leafHash: the body was changed');
  });

  it('catches a changed body whose leafHash was recomputed, at the chain', () => {
    const { lines } = buildExport();
    const entry = lines[entryIndex(lines, 120)] as ExportEntry;
    entry.body = bodyOf(120, 'edited');
    entry.leafHash = leafHash(entry.body).toString('hex');
    const found = messages(verify(lines));
    expect(found).toContain('seq 120: chainHash does not follow from the previous entry: an entry was changed, removed or reordered here');
    expect(found.some((m) => m.startsWith('seq 120: body does not match'))).toBe(false);
  });

  it('catches a rewrite with every hash recomputed, at the signed checkpoints', () => {
    const { lines } = buildExport();
    (lines[entryIndex(lines, 120)] as ExportEntry).body = bodyOf(120, 'edited');
    rechain(lines, 120);
    const report = verify(lines);
    expect(report.ok).toBe(false);
    expect(report.problems.every((p) => p.at.startsWith('checkpoint'))).toBe(true);
    expect(report.problems.map((p) => p.at)).toEqual(['checkpoint 150', 'checkpoint 200', 'checkpoint 250', 'checkpoint 300']);
    expect(report.problems[0].message).toMatch(/signed root does not match the Merkle root of the first 150 entries/);
  });

  it('catches an altered checkpoint signature', () => {
    const { lines } = buildExport();
    const line = lines.find((l) => l.kind === 'checkpoint' && l.treeSize === 100)!;
    const sig = Buffer.from(String(line.signature), 'base64');
    sig[0] ^= 0x80;
    line.signature = sig.toString('base64');
    expect(messages(verify(lines))).toEqual(["checkpoint 100: signature is not valid under the header's public key"]);
  });

  it('catches a removed entry', () => {
    const { lines } = buildExport();
    lines.splice(entryIndex(lines, 77), 1);
    const found = messages(verify(lines));
    expect(found).toContain('seq 78: seq 77 is missing');
    expect(found).toContain('seq 78: chainHash does not follow from the previous entry: an entry was changed, removed or reordered here');
  });

  it('catches two swapped entries', () => {
    const { lines } = buildExport();
    const [a, b] = [entryIndex(lines, 30), entryIndex(lines, 31)];
    [lines[a], lines[b]] = [lines[b], lines[a]];
    const report = verify(lines);
    expect(report.ok).toBe(false);
    expect(messages(report)).toContain('seq 30: out of order or repeated (expected seq 32)');
    expect(report.problems.some((p) => p.at === 'seq 31' && p.message.startsWith('chainHash does not follow'))).toBe(true);
  });

  it('catches a forged checkpoint from another key, whichever key id it claims', () => {
    const { lines } = buildExport();
    const log = new MerkleLog();
    for (let seq = 0; seq < 300; seq++) log.append(leafHash(bodyOf(seq)));
    const forged = checkpointOf(log, otherKey);
    lines.push({ kind: 'checkpoint', ...forged });
    lines.push({ kind: 'checkpoint', ...forged, keyId: keyIdOf(publicKey) });
    const found = messages(verify(lines));
    expect(found).toEqual([
      `checkpoint 300: signed by key ${forged.keyId}, not by this log's key ${keyIdOf(publicKey)}`,
      "checkpoint 300: signature is not valid under the header's public key",
    ]);
  });

  it('catches an export re-signed by another key when the expected key is pinned', () => {
    const { lines } = buildExport(10);
    const otherPublic = publicKeyOf(otherKey);
    Object.assign(lines[0], { publicKey: otherPublic.toString('base64'), keyId: keyIdOf(otherPublic) });
    expect(verify(lines, undefined, publicKey).problems[0]).toEqual({
      at: 'header',
      message: `the export is signed by key ${otherPublic.toString('base64')}, not the expected key ${publicKey.toString('base64')}`,
    });
  });

  it('checks a trusted checkpoint saved earlier against the export', () => {
    const { lines } = buildExport();
    const earlier = new MerkleLog();
    for (let seq = 0; seq < 120; seq++) earlier.append(leafHash(bodyOf(seq)));
    expect(verify(lines, checkpointOf(earlier)).ok).toBe(true);

    const otherHistory = new MerkleLog();
    for (let seq = 0; seq < 120; seq++) otherHistory.append(leafHash(bodyOf(seq, seq === 99 ? 'original' : 'ok')));
    const report = verify(lines, checkpointOf(otherHistory));
    expect(report.ok).toBe(false);
    expect(report.problems[0].at).toBe('trusted checkpoint 120');
    expect(report.problems[0].message).toMatch(/^not consistent with the checkpoint of size 300: the two describe different histories/);

    const forgedTrusted = checkpointOf(earlier, otherKey);
    expect(messages(verify(lines, forgedTrusted))).toEqual(["trusted checkpoint 120: signature is not valid under the export's public key"]);
  });

  it('reports a truncated export, malformed lines, and keeps counting past 100 problems', () => {
    const { lines } = buildExport(100);
    const truncated = lines.filter((l) => !(l.kind === 'entry' && (l.seq as number) >= 90));
    expect(messages(verify(truncated))).toContain('checkpoint 100: covers 100 entries but the export holds only 90');

    const verifier = new ExportVerifier();
    verifier.push(lines[0]);
    verifier.push({ kind: 'entry', seq: -1 });
    verifier.rejectLine('not JSON');
    for (let i = 0; i < 150; i++) verifier.push({ ...(lines[1] as ExportEntry), body: '{ "seq": 0 }' });
    const report = verifier.finish();
    expect(report.problems[0].at).toBe('line 2');
    expect(report.problems[1]).toEqual({ at: 'line 3', message: 'not JSON' });
    expect(report.problems).toHaveLength(100);
    expect(report.problemCount).toBeGreaterThan(300);
    expect(() => verifier.finish()).toThrow();
  });

  it('refuses an export that carries no checkpoint at all', () => {
    const { lines } = buildExport(20);
    expect(messages(verify(lines.filter((l) => l.kind !== 'checkpoint')))).toEqual([
      'checkpoints: no valid checkpoint covers the entries: nothing in this export is signed',
    ]);
  });
});
