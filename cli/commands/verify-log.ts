import { createReadStream, existsSync, readFileSync, statSync, type ReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkExportLines, publicKeyFrom, trustedCheckpointFrom, verificationSummary, type Checkpoint, type VerificationReport } from '@clearwork/audit-core';
import { mintLocalToken } from '../../libs/platform/src/auth/local-token';
import { CommandError, Interrupted, UsageError } from '../cli-errors';
import type { Command, CommandContext, ParsedLine } from '../command';
import { numberOption, stringOption } from '../command-line';
import { callService } from '../service-client';

/** What `verify-log` was asked: the audit service's own check, or an export file's offline. */
export type VerifyLogArgs =
  | { readonly mode: 'online'; readonly json: boolean; readonly timeoutSeconds: number }
  | { readonly mode: 'offline'; readonly file: string; readonly trusted?: Checkpoint; readonly publicKey?: Buffer; readonly json: boolean; readonly progressEvery: number };

const TICK_MS = 5_000;

export function parseVerifyLogArgs({ values, positionals }: ParsedLine): VerifyLogArgs {
  const [file] = positionals;
  const json = values.json === true;
  const trustedPath = stringOption(values, 'trusted');
  const keyText = stringOption(values, 'public-key');
  if (file === undefined) {
    const offlineOnly = trustedPath !== undefined ? '--trusted' : keyText !== undefined ? '--public-key' : null;
    if (offlineOnly) throw new UsageError(`${offlineOnly} checks an export file: name it, e.g. clearwork verify-log log.ndjson ${offlineOnly} ...`, 'verify-log');
    return { mode: 'online', json, timeoutSeconds: numberOption(values, 'timeout', { fallback: 1_800, integer: true, min: 1, command: 'verify-log' })! };
  }
  if (file !== '-' && !existsSync(file)) throw new UsageError(`no such file: ${file}`, 'verify-log');
  const publicKey = keyText === undefined ? undefined : (publicKeyFrom(keyText) ?? undefined);
  if (keyText !== undefined && !publicKey) throw new UsageError('--public-key takes the raw 32-byte Ed25519 key in base64 (44 characters)', 'verify-log');
  const progressEvery = numberOption(values, 'progress-every', { fallback: 100_000, integer: true, min: 1, command: 'verify-log' })!;
  return { mode: 'offline', file, trusted: trustedPath === undefined ? undefined : readTrusted(trustedPath), publicKey, json, progressEvery };
}

function readTrusted(path: string): Checkpoint {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--trusted ${path}: cannot read it as JSON (${(error as Error).message})`, 'verify-log');
  }
  const parsed = trustedCheckpointFrom(json);
  if (!parsed.ok) throw new UsageError(`--trusted ${path} is not a checkpoint: ${parsed.problem}`, 'verify-log');
  return parsed.checkpoint;
}

/** Offline: the same check as scripts/verify-log.ts, with a line on stderr per `progressEvery` entries (and how far into the file). */
async function verifyFile(args: Extract<VerifyLogArgs, { mode: 'offline' }>, { io, signal }: CommandContext): Promise<VerificationReport> {
  const input = args.file === '-' ? process.stdin : createReadStream(args.file);
  const size = args.file === '-' ? 0 : statSync(args.file).size;
  const share = () => (size > 0 ? ` (${Math.min(100, Math.floor((100 * (input as ReadStream).bytesRead) / size))}% of the file)` : '');
  async function* lines() {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (signal.aborted) throw new Interrupted(`verification of ${args.file} stopped before the end`);
      yield line;
    }
  }
  try {
    return await checkExportLines(lines(), {
      publicKey: args.publicKey,
      trusted: args.trusted,
      progressEvery: args.progressEvery,
      onProgress: (entries) => io.err(`${entries} entries read${share()}`),
    });
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(`cannot read ${args.file}: ${(error as Error).message}`);
  } finally {
    if (input !== process.stdin) input.destroy();
  }
}

/** Online: the audit service recomputes everything from its rows; this waits, saying so every few seconds. */
async function verifyOnline(args: Extract<VerifyLogArgs, { mode: 'online' }>, { globals, io, signal }: CommandContext): Promise<VerificationReport & { verifiedAt?: string }> {
  const minted = mintLocalToken({ role: 'auditor', ttlSeconds: args.timeoutSeconds + 60, secret: globals.jwtSecret });
  if (!minted.ok) throw new CommandError(minted.problem);
  const started = Date.now();
  const ticker = setInterval(() => io.err(`the audit service is verifying the log ... ${Math.round((Date.now() - started) / 1000)} s`), TICK_MS);
  try {
    const { body } = await callService<VerificationReport & { verifiedAt?: string }>({
      service: 'audit', baseUrl: globals.auditUrl, method: 'GET', path: '/v1/log/verify', token: minted.token, timeoutMs: args.timeoutSeconds * 1000, signal,
    });
    if (!body || typeof body !== 'object' || typeof body.ok !== 'boolean' || !Array.isArray(body.problems)) {
      throw new CommandError(`the audit service at ${globals.auditUrl} answered something that is not a verification report: run again with --json to see it`);
    }
    return body;
  } finally {
    clearInterval(ticker);
  }
}

export const verifyLog: Command = {
  name: 'verify-log',
  synopsis: '[export.ndjson | -] [--trusted checkpoint.json] [--public-key base64] [--json]',
  summary: 'check the audit log: online on the audit service, or offline on an export file',
  details: [
    'Without a file: GET /v1/log/verify on the audit service with an auditor token; the service recomputes hashes, chain,',
    'signatures, roots and consistency from its rows. With a file (or - for standard input): the offline check of',
    'scripts/verify-log.ts on an export, needing nothing but the file. Get an export with',
    '  curl -H "Authorization: Bearer $(npm run -s clearwork -- mint-token auditor)" http://127.0.0.1:3003/v1/log/export > log.ndjson',
    'Exit status: 0 every check passed, 1 problems were found (listed) or the service could not answer, 2 the command was wrong.',
  ],
  options: {
    trusted: { type: 'string', value: 'checkpoint.json', help: 'offline: a checkpoint saved earlier; the export must extend the history it signed' },
    'public-key': { type: 'string', value: 'base64', help: 'offline: the log\'s raw Ed25519 key, obtained independently; the export must use it' },
    'progress-every': { type: 'string', value: 'n', help: 'offline: a progress line on stderr per this many entries (default 100000)' },
    timeout: { type: 'string', value: 'seconds', help: 'online: how long to wait for the service (default 1800)' },
    json: { type: 'boolean', help: 'print the report as JSON' },
  },
  positionals: { min: 0, max: 1 },
  examples: ['clearwork verify-log', 'clearwork verify-log log.ndjson --trusted checkpoint.json', 'curl -s ... /v1/log/export | clearwork verify-log -'],
  async run(line, context) {
    const args = parseVerifyLogArgs(line);
    const report = args.mode === 'online' ? await verifyOnline(args, context) : await verifyFile(args, context);
    if (args.json) context.io.out(JSON.stringify(report, null, 2));
    else {
      verificationSummary(report, args.mode === 'offline' ? args.trusted : undefined).forEach((l) => context.io.out(l));
      if ('verifiedAt' in report && report.verifiedAt) context.io.out(`verified by the audit service at ${context.globals.auditUrl} at ${report.verifiedAt}`);
    }
    return report.ok ? 0 : 1;
  },
};
