import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, exportEntry, GENESIS_CHAIN, keyIdOf, LOG_EXPORT_FORMAT, MerkleLog, publicKeyOf, signCheckpoint, signingKeyFromSeed, type VerificationReport } from '@clearwork/audit-core';
import { verifyToken } from '../../libs/platform/src/auth/jwt';
import { capturedIo, RecordingServer, type CannedAnswer } from '../recording-server';
import { run } from '../run';

const key = signingKeyFromSeed(Buffer.alloc(32, 3));
const publicKey = publicKeyOf(key).toString('base64');

/** An export of `count` entries, signed at the end, as NDJSON text. */
function exportFile(count: number): string {
  const lines: unknown[] = [{ kind: 'header', format: LOG_EXPORT_FORMAT, origin: 'spec', publicKey, keyId: keyIdOf(publicKeyOf(key)), exportedAt: '2026-01-01T00:00:00.000Z' }];
  const log = new MerkleLog();
  let chain = GENESIS_CHAIN;
  for (let seq = 0; seq < count; seq++) {
    const entry = exportEntry(seq, canonicalJson({ seq, type: 'DecisionRecorded' }), chain);
    chain = Buffer.from(entry.chainHash, 'hex');
    log.append(Buffer.from(entry.leafHash, 'hex'));
    lines.push(entry);
  }
  lines.push({ kind: 'checkpoint', ...signCheckpoint({ origin: 'spec', treeSize: count, rootHash: log.root().toString('hex'), timestamp: '2026-01-01T00:00:01.000Z' }, key) });
  return lines.map((l) => JSON.stringify(l)).join('\n');
}

describe('clearwork verify-log, offline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearwork-verify-'));
  const good = join(dir, 'good.ndjson');
  const tampered = join(dir, 'tampered.ndjson');
  const notCheckpoint = join(dir, 'not-a-checkpoint.json');
  writeFileSync(good, exportFile(45));
  writeFileSync(tampered, exportFile(45).replace('"seq\\":7,', '"seq\\":8,'));
  writeFileSync(notCheckpoint, '{"treeSize":"many"}');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function verify(...args: string[]) {
    const { io, out, err } = capturedIo();
    return { status: await run(['verify-log', ...args], io, {}), out, err };
  }

  it('passes an intact export, with a progress line per so many entries', async () => {
    const { status, out, err } = await verify(good, '--progress-every', '20', '--public-key', publicKey);
    expect(status).toBe(0);
    expect(out[0]).toBe('entries: 45, checkpoint lines: 1');
    expect(out.at(-1)).toBe('OK: every check passed');
    expect(err).toEqual([expect.stringMatching(/^20 entries read \(\d+% of the file\)$/), expect.stringMatching(/^40 entries read \(\d+% of the file\)$/)]);
  });

  it('exits 1 and lists the problems of a changed export', async () => {
    const { status, out } = await verify(tampered);
    expect(status).toBe(1);
    expect(out).toContain('  seq 7: body does not match its leafHash: the body was changed');
    expect(out.find((l) => l.startsWith('FAILED:'))).toBeDefined();
  });

  it('prints the report as JSON with --json', async () => {
    const { out } = await verify(good, '--json');
    expect(JSON.parse(out.join('\n'))).toMatchObject({ ok: true, entries: 45, problemCount: 0 });
  });

  it.each([
    [['missing.ndjson'], 'clearwork: no such file: missing.ndjson'],
    [[good, '--public-key', 'c2hvcnQ='], 'clearwork: --public-key takes the raw 32-byte Ed25519 key in base64 (44 characters)'],
    [[good, '--trusted', notCheckpoint], expect.stringMatching(/^clearwork: --trusted .*not-a-checkpoint\.json is not a checkpoint: /)],
    [['--trusted', notCheckpoint], 'clearwork: --trusted checks an export file: name it, e.g. clearwork verify-log log.ndjson --trusted ...'],
    [[good, '--progress-every', '0'], 'clearwork: --progress-every takes a whole number of at least 1, not "0"'],
  ])('exits 2 on %j, naming the problem', async (args, message) => {
    const { status, err } = await verify(...args);
    expect(status).toBe(2);
    expect(err[0]).toEqual(message);
  });
});

describe('clearwork verify-log, online', () => {
  const secret = 'verify-spec-secret-0123456789';
  const report: VerificationReport & { verifiedAt: string } = {
    ok: true, entries: 12, checkpoints: 2, latest: null, rootHash: 'ab'.repeat(32), problems: [], problemCount: 0, verifiedAt: '2026-11-22T10:00:00.000Z',
  };
  let server: RecordingServer;
  let answer: CannedAnswer = { status: 200, body: report };

  beforeAll(async () => {
    server = await RecordingServer.start(() => answer);
  });
  afterAll(() => server.stop());

  async function verify(...args: string[]) {
    const { io, out, err } = capturedIo();
    return { status: await run(['verify-log', '--audit-url', server.url, ...args], io, { JWT_SECRET: secret }), out, err };
  }

  it('asks the audit service with an auditor token and prints its report', async () => {
    answer = { status: 200, body: report };
    const { status, out } = await verify();
    expect(status).toBe(0);
    const request = server.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'GET', url: '/v1/log/verify' });
    expect(verifyToken(secret, String(request.headers.authorization).slice('Bearer '.length))).toMatchObject({ ok: true, principal: { role: 'auditor' } });
    expect(out).toEqual([
      'entries: 12, checkpoint lines: 2',
      `root of all entries: ${'ab'.repeat(32)}`,
      'OK: every check passed',
      `verified by the audit service at ${server.url} at 2026-11-22T10:00:00.000Z`,
    ]);
  });

  it('exits 1 when the service found problems', async () => {
    answer = { status: 200, body: { ...report, ok: false, problems: [{ at: 'seq 3', message: 'body does not match its leafHash: the body was changed' }], problemCount: 1 } };
    const { status, out } = await verify();
    expect(status).toBe(1);
    expect(out).toContain('FAILED: 1 problem found');
  });

  it('says what to do when the token is refused', async () => {
    answer = { status: 401, body: { statusCode: 401, message: 'invalid token: bad signature' } };
    const { status, err } = await verify();
    expect(status).toBe(1);
    expect(err[1]).toMatch(/^the token was refused: set JWT_SECRET/);
  });
});
