/*
 * Verifies an audit log export offline, needing nothing but the file:
 *   npx tsx scripts/verify-log.ts <export.ndjson | -> [--trusted checkpoint.json] [--public-key base64]
 * --trusted     a checkpoint saved earlier: the export must extend the history it signed.
 * --public-key  the log's raw Ed25519 key (base64), obtained independently: the export must use it.
 * Exit status: 0 every check passed, 1 problems were found (listed), 2 the command was wrong.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Checkpoint, checkExportLines, publicKeyFrom, trustedCheckpointFrom, verificationSummary } from '@clearwork/audit-core';

const USAGE = 'usage: npx tsx scripts/verify-log.ts <export.ndjson | -> [--trusted checkpoint.json] [--public-key base64]';

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
  const parsed = trustedCheckpointFrom(json);
  if (!parsed.ok) usage(`--trusted ${path} is not a checkpoint: ${parsed.problem}`);
  return parsed.checkpoint;
}

function readPublicKey(text: string): Buffer {
  return publicKeyFrom(text) ?? usage('--public-key takes the raw 32-byte Ed25519 key in base64 (44 characters)');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const input = args.file === '-' ? process.stdin : createReadStream(args.file);
  input.on('error', (error: Error) => usage(`cannot read ${args.file}: ${error.message}`));
  const report = await checkExportLines(createInterface({ input, crlfDelay: Infinity }), {
    publicKey: args.publicKey,
    trusted: args.trusted,
    onProgress: (entries) => process.stderr.write(`${entries} entries read\n`),
  });
  for (const line of verificationSummary(report, args.trusted)) console.log(line);
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(2);
});
