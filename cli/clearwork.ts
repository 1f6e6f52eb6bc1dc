#!/usr/bin/env -S npx tsx
/*
 * The clearwork command line: posting tasks, explanations, log verification, local tokens and
 * a simulated workforce, against a running engine.
 *   npx tsx cli/clearwork.ts <command> [arguments] [options]     (or npm run clearwork -- <command> ...)
 *   npx tsx cli/clearwork.ts help
 * Exit status: 0 done, 1 failed, 2 the command line was wrong, 130 interrupted.
 */
import { run } from './run';

const interrupt = new AbortController();
let interruptedAt = 0;
// The first Ctrl-C lets the command stop cleanly (a simulation prints its totals); another one a
// second later ends it at once. Copies of the first that npm and tsx relay arrive within that second.
process.on('SIGINT', () => {
  if (interruptedAt === 0) {
    interruptedAt = Date.now();
    interrupt.abort();
  } else if (Date.now() - interruptedAt > 1_000) process.exit(130);
});

// A reader that stops early (| head) is not an error of this command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

void run(process.argv.slice(2), io, process.env, interrupt.signal).then((status) => {
  process.exitCode = status;
  // Kafka clients may hold timers for a moment after disconnecting; the answer is already out.
  setTimeout(() => process.exit(status), 1_000).unref();
});
