/*
 * Verifies an audit log export offline, needing nothing but the file:
 *   npx tsx scripts/verify-log.ts <export.ndjson | -> [--trusted checkpoint.json] [--public-key base64]
 * --trusted     a checkpoint saved earlier: the export must extend the history it signed.
 * --public-key  the log's raw Ed25519 key (base64), obtained independently: the export must use it.
 * Exit status: 0 every check passed, 1 problems were found (listed), 2 the command was wrong.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Checkpoint, ExportCheckpoint, ExportVerifier, type VerificationReport } from '@clearwork/audit-core';

const USAGE = 'usage: npx tsx scripts/verify-log.ts <export.ndjson | -> [--trusted checkpoint.json] [--public-key base64]';
const PROGRESS_EVERY = 100_000;

interface Args {
  file: string;
  trusted?: Checkpoint;
  publicKey?: Buffer;
}

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  let file: string | undefined;
  const args: Omit<Args, 'file'> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === '--trusted' || arg === '--public-key') {
      const value = argv[++i] ?? usage(`${arg} needs a value`);
      if (arg === '--trusted') args.trusted = readTrusted(value);
      else args.publicKey = readPublicKey(value);
    } else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else if (file !== undefined) usage(`check one export at a time (got ${file} and ${arg})`);
    else file = arg;
  }
  if (file === undefined) usage('name the export file to check, or - to read it from standard input');
  if (file !== '-' && !existsSync(file)) usage(`no such file: ${file}`);
  return { file, ...args };
}

function readTrusted(path: string): Checkpoint {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    usage(`--trusted ${path}: cannot read it as JSON (${(error as Error).message})`);
  }
  // Accept a bare checkpoint or one copied from an export line, which carries kind.
  const parsed = ExportCheckpoint.safeParse(typeof json === 'object' && json !== null ? { ...json, kind: 'checkpoint' } : json);
  if (!parsed.success) usage(`--trusted ${path} is not a checkpoint: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const { kind: _kind, ...checkpoint } = parsed.data;
  return checkpoint;
}

function readPublicKey(text: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || key.toString('base64') !== text) usage('--public-key takes the raw 32-byte Ed25519 key in base64 (44 characters)');
  return key;
}

function printSummary(report: VerificationReport, trusted: Checkpoint | undefined): void {
  const { latest } = report;
  console.log(`entries: ${report.entries}, checkpoint lines: ${report.checkpoints}`);
  console.log(`root of all entries: ${report.rootHash}`);
  if (latest) {
    console.log(`latest signed checkpoint: ${latest.origin} size ${latest.treeSize} root ${latest.rootHash}`);
    console.log(`  signed at ${latest.timestamp} by key ${latest.keyId}`);
    const unsigned = report.entries - latest.treeSize;
    if (unsigned > 0) console.log(`  ${unsigned} entries after it are chained but not yet covered by a signature`);
  }
  if (trusted) console.log(`trusted checkpoint: size ${trusted.treeSize} root ${trusted.rootHash}`);
  if (report.ok) {
    console.log('OK: every check passed');
    return;
  }
  const shown = report.problems.length < report.problemCount ? ` (the first ${report.problems.length} are listed)` : '';
  console.log(`FAILED: ${report.problemCount} problem${report.problemCount === 1 ? '' : 's'} found${shown}`);
  for (const p of report.problems) console.log(`  ${p.at}: ${p.message}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const input = args.file === '-' ? process.stdin : createReadStream(args.file);
  input.on('error', (error: Error) => usage(`cannot read ${args.file}: ${error.message}`));
  const verifier = new ExportVerifier({ publicKey: args.publicKey });
  let nextProgress = PROGRESS_EVERY;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      verifier.rejectLine(text.trim() === '' ? 'empty line' : 'not valid JSON');
      continue;
    }
    verifier.push(line);
    if (verifier.entries >= nextProgress) {
      process.stderr.write(`${verifier.entries} entries read\n`);
      nextProgress += PROGRESS_EVERY;
    }
  }
  const report = verifier.finish({ trusted: args.trusted });
  printSummary(report, args.trusted);
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(2);
});
