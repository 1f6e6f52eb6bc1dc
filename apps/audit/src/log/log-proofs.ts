import { Inject, Injectable } from '@nestjs/common';
import { ExportVerifier, type Checkpoint } from '@clearwork/audit-core';
import { CheckpointSigner } from './checkpoint-signer';
import { LogAppender } from './log-appender';
import { LogReader, type StoredEntry } from './log-reader';
import { LogTree } from './log-tree';

/** An entry's inclusion proof against a signed checkpoint. */
export interface InclusionProof {
  readonly seq: number;
  readonly leafHash: string;
  readonly treeSize: number;
  readonly rootHash: string;
  /** RFC 6962 audit path, hex, leaf to root. */
  readonly proof: string[];
  readonly checkpoint: Checkpoint;
}

export interface ConsistencyProof {
  readonly from: number;
  readonly to: number;
  readonly fromRoot: string;
  readonly toRoot: string;
  readonly proof: string[];
  readonly checkpoints: { from: Checkpoint | null; to: Checkpoint | null };
}

/** The lines of an export, in the `clearwork-log/1` NDJSON format the offline verifier reads. */
export type ExportLine = Record<string, unknown>;

const hex = (b: Buffer) => b.toString('hex');

/** Proofs, exports and full verification of the log. */
@Injectable()
export class LogProofs {
  constructor(
    @Inject(LogTree) private readonly tree: LogTree,
    @Inject(LogReader) private readonly reader: LogReader,
    @Inject(LogAppender) private readonly appender: LogAppender,
    @Inject(CheckpointSigner) private readonly signer: CheckpointSigner,
  ) {}

  publicKey() {
    return { algorithm: 'Ed25519', publicKey: this.signer.publicKey.toString('base64'), keyId: this.signer.keyId, origin: this.signer.origin };
  }

  /** The latest checkpoint, signing one first if entries have been committed since. */
  async checkpoint(): Promise<Checkpoint | null> {
    await this.tree.refresh();
    const latest = await this.reader.latestCheckpoint();
    if (latest && latest.treeSize >= this.tree.size) return latest;
    await this.appender.checkpointNow();
    return this.reader.latestCheckpoint();
  }

  /** Proof that entry `seq` is in the tree of the latest checkpoint; null when there is no such entry. */
  async inclusion(seq: number): Promise<InclusionProof | null> {
    await this.tree.refresh();
    if (seq < 0 || seq >= this.tree.size) return null;
    let checkpoint = await this.reader.latestCheckpoint();
    if (!checkpoint || checkpoint.treeSize <= seq) checkpoint = await this.checkpoint();
    const size = checkpoint!.treeSize;
    return {
      seq,
      leafHash: hex(this.tree.merkle.leaf(seq)),
      treeSize: size,
      rootHash: checkpoint!.rootHash,
      proof: this.tree.merkle.inclusionProof(seq, size).map(hex),
      checkpoint: checkpoint!,
    };
  }

  /** Proof that the tree of size `to` extends the tree of size `from`; null when `to` is beyond the log. */
  async consistency(from: number, to: number): Promise<ConsistencyProof | null> {
    // Only sizes a committed checkpoint covers: the tree may hold leaves of a transaction still open.
    const latest = await this.checkpoint();
    if (!latest || to > latest.treeSize) return null;
    const merkle = this.tree.merkle;
    return {
      from,
      to,
      fromRoot: hex(merkle.root(from)),
      toRoot: hex(merkle.root(to)),
      proof: merkle.consistencyProof(from, to).map(hex),
      checkpoints: { from: await this.reader.checkpointOf(from), to: await this.reader.checkpointOf(to) },
    };
  }

  /** Every line of the export: header, entries in order, then every checkpoint. */
  async *exportLines(): AsyncGenerator<ExportLine> {
    yield { kind: 'header', format: 'clearwork-log/1', origin: this.signer.origin, publicKey: this.signer.publicKey.toString('base64'), keyId: this.signer.keyId, exportedAt: new Date().toISOString() };
    const checkpoints = await this.reader.checkpoints();
    const covered = checkpoints.at(-1)?.treeSize ?? 0;
    for await (const page of this.reader.pages()) {
      for (const e of page) {
        // Entries committed after the last checkpoint read are left for the next export, so the export is self-consistent.
        if (e.seq >= covered) break;
        yield entryLine(e);
      }
    }
    for (const c of checkpoints) yield { kind: 'checkpoint', ...c };
  }

  /**
   * Recomputes everything from the stored rows as an outsider would from an export: bodies are
   * canonical, leaf hashes, the hash chain, each checkpoint's signature and root, consistency
   * between checkpoints, and that the tree this service proves from agrees with the rows.
   */
  async verify() {
    await this.appender.checkpointNow();
    const verifier = new ExportVerifier();
    for await (const line of this.exportLines()) verifier.push(line);
    const report = verifier.finish();
    const latest = report.latest;
    const served = latest ? hex(this.tree.merkle.root(latest.treeSize)) : null;
    const problems = [...report.problems];
    if (latest && served !== latest.rootHash) problems.push({ at: `tree ${latest.treeSize}`, message: `the tree this service proves from has root ${served}, not the signed ${latest.rootHash}` });
    return { ...report, ok: report.ok && problems.length === report.problems.length, problems, problemCount: report.problemCount + problems.length - report.problems.length, verifiedAt: new Date().toISOString() };
  }
}

function entryLine(e: StoredEntry): ExportLine {
  return { kind: 'entry', seq: e.seq, body: e.body, leafHash: hex(e.leafHash), chainHash: hex(e.chainHash) };
}
