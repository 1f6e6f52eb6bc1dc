import { canonicalJson } from './canonical-json';
import { keyIdOf, publicKeyOf, signCheckpoint, signingKeyFromSeed, type Checkpoint } from './checkpoint';
import { GENESIS_CHAIN } from './hash-chain';
import { checkExportLines, publicKeyFrom, trustedCheckpointFrom, verificationSummary } from './export-check';
import { exportEntry, LOG_EXPORT_FORMAT } from './log-export';
import { MerkleLog } from './merkle';

const key = signingKeyFromSeed(Buffer.alloc(32, 7));
const publicKey = publicKeyOf(key);

/** The NDJSON text lines of an export of `count` entries, signed once at the end. */
function exportText(count: number): { lines: string[]; checkpoint: Checkpoint } {
  const lines = [JSON.stringify({ kind: 'header', format: LOG_EXPORT_FORMAT, origin: 'test', publicKey: publicKey.toString('base64'), keyId: keyIdOf(publicKey), exportedAt: '2025-01-01T00:00:00.000Z' })];
  const log = new MerkleLog();
  let chain = GENESIS_CHAIN;
  for (let seq = 0; seq < count; seq++) {
    const entry = exportEntry(seq, canonicalJson({ seq }), chain);
    chain = Buffer.from(entry.chainHash, 'hex');
    log.append(Buffer.from(entry.leafHash, 'hex'));
    lines.push(JSON.stringify(entry));
  }
  const checkpoint = signCheckpoint({ origin: 'test', treeSize: log.size, rootHash: log.root().toString('hex'), timestamp: '2025-01-01T00:00:01.000Z' }, key);
  lines.push(JSON.stringify({ kind: 'checkpoint', ...checkpoint }));
  return { lines, checkpoint };
}

describe('checking an export given as lines', () => {
  it('passes an untouched export and reports progress every so many entries', async () => {
    const { lines, checkpoint } = exportText(25);
    const progress: number[] = [];
    const report = await checkExportLines(lines, { publicKey, onProgress: (n) => progress.push(n), progressEvery: 10 });
    expect(report).toMatchObject({ ok: true, entries: 25, checkpoints: 1, latest: checkpoint });
    expect(progress).toEqual([10, 20]);
    expect(verificationSummary(report).at(-1)).toBe('OK: every check passed');
  });

  it('reads lines from an async source too', async () => {
    const { lines } = exportText(3);
    async function* source() {
      yield* lines;
    }
    expect((await checkExportLines(source())).ok).toBe(true);
  });

  it('counts a line that is not JSON as a problem and goes on', async () => {
    const { lines } = exportText(3);
    const report = await checkExportLines([...lines.slice(0, 2), '{oops', '', ...lines.slice(2)]);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { at: 'line 3', message: 'not valid JSON' },
      { at: 'line 4', message: 'empty line' },
    ]);
    expect(verificationSummary(report)).toEqual(expect.arrayContaining(['FAILED: 2 problems found', '  line 3: not valid JSON']));
  });

  it('holds an export to a trusted checkpoint it does not extend', async () => {
    const { checkpoint } = exportText(5);
    const report = await checkExportLines(exportText(4).lines, { trusted: checkpoint });
    expect(report.ok).toBe(false);
    expect(verificationSummary(report, checkpoint)).toContain(`trusted checkpoint: size 5 root ${checkpoint.rootHash}`);
  });
});

describe('trusted checkpoints and keys', () => {
  const { checkpoint } = exportText(2);

  it('takes a bare checkpoint or one copied from an export line', () => {
    expect(trustedCheckpointFrom(checkpoint)).toEqual({ ok: true, checkpoint });
    expect(trustedCheckpointFrom({ kind: 'checkpoint', ...checkpoint })).toEqual({ ok: true, checkpoint });
  });

  it('names what is wrong with something else', () => {
    const result = trustedCheckpointFrom({ ...checkpoint, treeSize: -1 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(/^treeSize: /);
  });

  it('accepts only a raw 32-byte key in base64', () => {
    expect(publicKeyFrom(publicKey.toString('base64'))).toEqual(publicKey);
    expect(publicKeyFrom('c2hvcnQ=')).toBeNull();
    expect(publicKeyFrom(`${publicKey.toString('base64')} `)).toBeNull();
  });
});
