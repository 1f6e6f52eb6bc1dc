/**
 * The offline check of an export as the verifier script and the command line run it: lines of
 * text in, a report and its printed summary out. Reading the file stays with the caller.
 */
import type { Checkpoint } from './checkpoint';
import { ExportCheckpoint, ExportVerifier, type VerificationReport } from './log-export';

/** How a caller hears about progress on a long export, and how often. */
export interface ExportCheckOptions {
  /** The log's raw Ed25519 key, obtained independently: the export must use it. */
  readonly publicKey?: Buffer;
  /** A checkpoint saved earlier: the export must extend the history it signed. */
  readonly trusted?: Checkpoint;
  /** Called each time another `progressEvery` entries have been read. */
  readonly onProgress?: (entries: number) => void;
  readonly progressEvery?: number;
}

export const EXPORT_PROGRESS_EVERY = 100_000;

/** Verifies an export given as its NDJSON lines; a line that is not JSON is a problem, not an error. */
export async function checkExportLines(lines: AsyncIterable<string> | Iterable<string>, options: ExportCheckOptions = {}): Promise<VerificationReport> {
  const every = options.progressEvery ?? EXPORT_PROGRESS_EVERY;
  const verifier = new ExportVerifier({ publicKey: options.publicKey });
  let nextProgress = every;
  for await (const text of lines) {
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      verifier.rejectLine(text.trim() === '' ? 'empty line' : 'not valid JSON');
      continue;
    }
    verifier.push(line);
    if (verifier.entries >= nextProgress) {
      options.onProgress?.(verifier.entries);
      nextProgress += every;
    }
  }
  return verifier.finish({ trusted: options.trusted });
}

/** A trusted checkpoint from parsed JSON: a bare checkpoint, or one copied from an export line (which carries kind). */
export function trustedCheckpointFrom(json: unknown): { ok: true; checkpoint: Checkpoint } | { ok: false; problem: string } {
  const parsed = ExportCheckpoint.safeParse(typeof json === 'object' && json !== null ? { ...json, kind: 'checkpoint' } : json);
  if (!parsed.success) return { ok: false, problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const { kind: _kind, ...checkpoint } = parsed.data;
  return { ok: true, checkpoint };
}

/** The raw 32-byte Ed25519 key from its base64 text, or null when the text is not exactly that. */
export function publicKeyFrom(text: string): Buffer | null {
  const key = Buffer.from(text, 'base64');
  return key.length === 32 && key.toString('base64') === text ? key : null;
}

/** The report as the lines a person reads: counts, roots, the latest signed checkpoint, then OK or every problem listed. */
export function verificationSummary(report: VerificationReport, trusted?: Checkpoint): string[] {
  const { latest } = report;
  const lines = [`entries: ${report.entries}, checkpoint lines: ${report.checkpoints}`, `root of all entries: ${report.rootHash}`];
  if (latest) {
    lines.push(`latest signed checkpoint: ${latest.origin} size ${latest.treeSize} root ${latest.rootHash}`);
    lines.push(`  signed at ${latest.timestamp} by key ${latest.keyId}`);
    const unsigned = report.entries - latest.treeSize;
    if (unsigned > 0) lines.push(`  ${unsigned} entries after it are chained but not yet covered by a signature`);
  }
  if (trusted) lines.push(`trusted checkpoint: size ${trusted.treeSize} root ${trusted.rootHash}`);
  if (report.ok) {
    lines.push('OK: every check passed');
    return lines;
  }
  const shown = report.problems.length < report.problemCount ? ` (the first ${report.problems.length} are listed)` : '';
  lines.push(`FAILED: ${report.problemCount} problem${report.problemCount === 1 ? '' : 's'} found${shown}`);
  for (const p of report.problems) lines.push(`  ${p.at}: ${p.message}`);
  return lines;
}
