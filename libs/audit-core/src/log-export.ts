/**
 * The "clearwork-log/1" export: NDJSON with a header, the entries in order, and signed
 * checkpoints, plus an offline verifier that streams over the parsed lines. The verifier keeps
 * only a MerkleLog and the checkpoints in memory, so exports of millions of entries are fine.
 */
import { z } from 'zod';
import { canonicalJson } from './canonical-json';
import { type Checkpoint, keyIdOf, verifyCheckpoint } from './checkpoint';
import { GENESIS_CHAIN, chainHash } from './hash-chain';
import { MerkleLog, ProofError, leafHash, verifyConsistency } from './merkle';

/** The value of the header's `format` field. */
export const LOG_EXPORT_FORMAT = 'clearwork-log/1';

const Hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const Count = z.number().int().min(0);

/** First line: which log this is and the raw Ed25519 key (base64) that signs its checkpoints. */
export const ExportHeader = z.strictObject({
  kind: z.literal('header'),
  format: z.literal(LOG_EXPORT_FORMAT),
  origin: z.string().min(1),
  publicKey: z.string(),
  keyId: z.string(),
  exportedAt: z.string(),
});
export type ExportHeader = z.infer<typeof ExportHeader>;

/** One log entry: its canonical JSON body, leaf hash and chain link, both in hex. */
export const ExportEntry = z.strictObject({
  kind: z.literal('entry'),
  seq: Count,
  body: z.string(),
  leafHash: Hex32,
  chainHash: Hex32,
});
export type ExportEntry = z.infer<typeof ExportEntry>;

/** A signed checkpoint, placed anywhere after the entries it covers. */
export const ExportCheckpoint = z.strictObject({
  kind: z.literal('checkpoint'),
  origin: z.string(),
  treeSize: Count,
  rootHash: Hex32,
  timestamp: z.string(),
  signature: z.string(),
  keyId: z.string(),
});
export type ExportCheckpoint = z.infer<typeof ExportCheckpoint>;

/** Any line of an export. */
export const ExportLine = z.discriminatedUnion('kind', [ExportHeader, ExportEntry, ExportCheckpoint]);
export type ExportLine = z.infer<typeof ExportLine>;

/** The export line for an entry, given the chain link of the entry before it. */
export function exportEntry(seq: number, body: string, previousChain: Buffer): ExportEntry {
  const leaf = leafHash(body);
  return { kind: 'entry', seq, body, leafHash: leaf.toString('hex'), chainHash: chainHash(previousChain, leaf).toString('hex') };
}

/** One thing found wrong; `at` names the line, seq or checkpoint size concerned. */
export interface VerificationProblem {
  at: string;
  message: string;
}

/** The outcome of verifying an export; `problems` holds the first 100 of `problemCount`. */
export interface VerificationReport {
  ok: boolean;
  entries: number;
  checkpoints: number;
  /** The largest validly signed checkpoint whose root matches the entries, if any. */
  latest: Checkpoint | null;
  /** Root of all entries in the export, hex. */
  rootHash: string;
  problems: VerificationProblem[];
  problemCount: number;
}

/** Pins the key the export must be signed with, so a re-signed forgery is refused. */
export interface ExportVerifierOptions {
  publicKey?: Buffer;
}

const MAX_PROBLEMS = 100;

/**
 * Verifies an export line by line: shape, sequence, canonical bodies, leaf hashes, the hash
 * chain, checkpoint signatures, checkpoint roots and their mutual consistency, and optionally
 * consistency with a checkpoint the reader saved earlier. It never stops at the first problem.
 */
export class ExportVerifier {
  private readonly log = new MerkleLog();
  private header: { origin: string; keyId: string; publicKey: Buffer | null } | null = null;
  private lines = 0;
  private nextSeq = 0;
  private chain = GENESIS_CHAIN;
  private checkpointLines = 0;
  private readonly signed: Checkpoint[] = [];
  private readonly problems: VerificationProblem[] = [];
  private problemCount = 0;
  private finished = false;

  constructor(private readonly options: ExportVerifierOptions = {}) {}

  /** Entries read so far. */
  get entries(): number {
    return this.log.size;
  }

  /** Takes the next line, already parsed from JSON. */
  push(line: unknown): void {
    this.lines++;
    const parsed = ExportLine.safeParse(line);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'line'}: ${i.message}`).join('; ');
      this.problem(`line ${this.lines}`, `not a valid export line (${issues})`);
      return;
    }
    const value = parsed.data;
    if (value.kind === 'header') this.onHeader(value);
    else if (value.kind === 'entry') this.onEntry(value);
    else this.onCheckpoint(value);
  }

  /** Counts a line that could not even be parsed as JSON, recording why. */
  rejectLine(reason: string): void {
    this.lines++;
    this.problem(`line ${this.lines}`, reason);
  }

  /** Runs the checks that need the whole export and returns the report. */
  finish(options: { trusted?: Checkpoint } = {}): VerificationReport {
    if (this.finished) throw new Error('ExportVerifier.finish() may be called only once');
    this.finished = true;
    if (!this.header) this.problem('header', 'the export has no header line, so no checkpoint can be trusted');

    const entries = this.log.size;
    const matching: Checkpoint[] = [];
    for (const c of this.signed) {
      const at = `checkpoint ${c.treeSize}`;
      if (c.treeSize > entries) this.problem(at, `covers ${c.treeSize} entries but the export holds only ${entries}`);
      else if (this.log.root(c.treeSize).toString('hex') !== c.rootHash) {
        this.problem(at, `signed root does not match the Merkle root of the first ${c.treeSize} entries: entries were changed after signing`);
      } else matching.push(c);
    }
    // With the entries at hand the roots already decide consistency; the proofs are checked anyway
    // because they are exactly what a reader without the entries would be given.
    const bySize = [...matching].sort((a, b) => a.treeSize - b.treeSize);
    for (let i = 1; i < bySize.length; i++) this.checkConsistent(bySize[i - 1], bySize[i], `checkpoint ${bySize[i].treeSize}`, bySize[i - 1].treeSize);

    const latest = bySize.length > 0 ? bySize[bySize.length - 1] : null;
    if (this.signed.length === 0 && entries > 0) this.problem('checkpoints', 'no valid checkpoint covers the entries: nothing in this export is signed');
    if (options.trusted) this.checkTrusted(options.trusted, latest);

    return {
      ok: this.problemCount === 0,
      entries,
      checkpoints: this.checkpointLines,
      latest,
      rootHash: this.log.root().toString('hex'),
      problems: [...this.problems],
      problemCount: this.problemCount,
    };
  }

  private onHeader(h: ExportHeader): void {
    if (this.header) {
      this.problem(`line ${this.lines}`, 'a second header: an export has exactly one');
      return;
    }
    if (this.lines !== 1) this.problem(`line ${this.lines}`, 'the header must be the first line');
    const key = Buffer.from(h.publicKey, 'base64');
    const keyValid = key.length === 32 && key.toString('base64') === h.publicKey;
    if (!keyValid) this.problem('header', 'publicKey is not a base64 raw 32-byte Ed25519 key');
    else if (h.keyId !== keyIdOf(key)) this.problem('header', `keyId ${h.keyId} does not name the header's public key (${keyIdOf(key)})`);
    const pinned = this.options.publicKey;
    if (pinned && !(keyValid && key.equals(pinned))) {
      this.problem('header', `the export is signed by key ${h.publicKey}, not the expected key ${pinned.toString('base64')}`);
    }
    this.header = { origin: h.origin, keyId: h.keyId, publicKey: keyValid ? key : null };
  }

  private onEntry(e: ExportEntry): void {
    const at = `seq ${e.seq}`;
    if (!this.header) this.problem(at, 'entry before the header');
    if (e.seq !== this.nextSeq) {
      const gap = e.seq - this.nextSeq;
      const what = gap < 0 ? `out of order or repeated (expected seq ${this.nextSeq})` : gap === 1 ? `seq ${this.nextSeq} is missing` : `seqs ${this.nextSeq}..${e.seq - 1} are missing`;
      this.problem(at, what);
    }
    // Resynchronise on the furthest seq seen, so one gap or swap is not reported for every later entry.
    this.nextSeq = Math.max(this.nextSeq, e.seq + 1);

    if (!isCanonicalJson(e.body)) this.problem(at, 'body is not canonical JSON (RFC 8785)');
    const leaf = leafHash(e.body);
    if (leaf.toString('hex') !== e.leafHash) this.problem(at, 'body does not match its leafHash: the body was changed');
    // The claimed link is chained on, so a break is reported once, where it happens.
    if (chainHash(this.chain, Buffer.from(e.leafHash, 'hex')).toString('hex') !== e.chainHash) {
      this.problem(at, 'chainHash does not follow from the previous entry: an entry was changed, removed or reordered here');
    }
    this.chain = Buffer.from(e.chainHash, 'hex');
    this.log.append(leaf);
  }

  private onCheckpoint(line: ExportCheckpoint): void {
    this.checkpointLines++;
    const { kind: _kind, ...c } = line;
    const at = `checkpoint ${c.treeSize}`;
    const header = this.header;
    if (!header) this.problem(at, 'comes before the header, so its signature cannot be checked');
    else if (c.origin !== header.origin) this.problem(at, `origin "${c.origin}" is not this log's origin "${header.origin}"`);
    else if (c.keyId !== header.keyId) this.problem(at, `signed by key ${c.keyId}, not by this log's key ${header.keyId}`);
    else if (!header.publicKey || !verifyCheckpoint(c, header.publicKey)) this.problem(at, "signature is not valid under the header's public key");
    else this.signed.push(c);
  }

  private checkTrusted(trusted: Checkpoint, latest: Checkpoint | null): void {
    const at = `trusted checkpoint ${trusted.treeSize}`;
    const header = this.header;
    if (!header?.publicKey || !verifyCheckpoint(trusted, header.publicKey)) {
      this.problem(at, "signature is not valid under the export's public key");
    } else if (trusted.origin !== header.origin) {
      this.problem(at, `origin "${trusted.origin}" is not this log's origin "${header.origin}"`);
    } else if (!latest) {
      this.problem(at, 'the export has no valid checkpoint to compare it with');
    } else if (Math.max(trusted.treeSize, latest.treeSize) > this.log.size) {
      this.problem(at, `covers ${trusted.treeSize} entries, more than this export holds (${this.log.size}): a log never shrinks`);
    } else if (trusted.treeSize <= latest.treeSize) {
      this.checkConsistent(trusted, latest, at, latest.treeSize);
    } else {
      this.checkConsistent(latest, trusted, at, latest.treeSize);
    }
  }

  /** Verifies a consistency proof, built from the entries, between two signed roots. */
  private checkConsistent(older: Checkpoint, newer: Checkpoint, at: string, otherSize: number): void {
    // Nothing to prove from the empty tree: its root is fixed and was compared directly.
    if (older.treeSize === 0) {
      if (this.log.root(0).toString('hex') !== older.rootHash) this.problem(at, 'the root of the empty log is wrong');
      return;
    }
    try {
      verifyConsistency({
        size1: older.treeSize,
        size2: newer.treeSize,
        root1: Buffer.from(older.rootHash, 'hex'),
        root2: Buffer.from(newer.rootHash, 'hex'),
        proof: this.log.consistencyProof(older.treeSize, newer.treeSize),
      });
    } catch (error) {
      if (!(error instanceof ProofError)) throw error;
      this.problem(at, `not consistent with the checkpoint of size ${otherSize}: the two describe different histories (${error.message})`);
    }
  }

  private problem(at: string, message: string): void {
    this.problemCount++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ at, message });
  }
}

function isCanonicalJson(body: string): boolean {
  try {
    return canonicalJson(JSON.parse(body)) === body;
  } catch {
    return false;
  }
}
