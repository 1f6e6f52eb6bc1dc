import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Latency summary of a set of samples, in microseconds. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentiles of samples given in nanoseconds, reported in microseconds. */
export function percentilesMicros(samplesNs: readonly bigint[]): Percentiles {
  const sorted = samplesNs.map((ns) => Number(ns) / 1_000).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  const round = (v: number) => Math.round(v * 10) / 10;
  return { count: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

/** Deterministic PRNG, so a run can be repeated with its seed (the one the simulated workforce uses). */
export { seededRandom } from '@clearwork/testing';

/** The median of some numbers (the mean of the middle two when there are an even number). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export const thousands = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Prints rows as an aligned plain-text table; numbers are right-aligned. */
export function printTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? thousands(c, Number.isInteger(c) ? 0 : 1) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === 'number'));
  const line = (r: readonly (string | number)[]) => r.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/** A target the result is held to: printed as PASS or FAIL and stored with the result. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

export function printTargets(targets: readonly TargetResult[]): void {
  for (const t of targets) console.log(`${t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.measured}`);
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a progress line on stderr, keeping stdout for the results. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
