#!/usr/bin/env node
/* global process, URL */
// The `clearwork` executable: runs cli/clearwork.ts with this repository's tsx and tsconfig, from any directory.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const child = spawn(process.execPath, [tsx, '--tsconfig', `${root}tsconfig.json`, `${root}cli/clearwork.ts`, ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches the command too (it is in the same process group): it decides how to stop, and this waits for it.
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
