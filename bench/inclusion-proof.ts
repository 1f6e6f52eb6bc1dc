/*
 * Inclusion proof time on an in-memory log of 1,000,000 entries, against computing the root
 * from the leaves (what answering without the stored subtree hashes would cost), in the same run.
 *   npx tsx bench/inclusion-proof.ts [--leaves 1000000] [--help]
 * Needs nothing running. Results: a table on stdout, JSON in bench/results/inclusion-proof.json.
 * Exit status: 0 when measured (targets print PASS or FAIL), 2 when the run could not be made.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { MerkleLog, rootOf, verifyInclusion } from '@clearwork/audit-core';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { percentilesMicros, printTable, printTargets, progress, seededRandom, thousands, writeJson, type Percentiles, type TargetResult } from './support/report';

const SPEC = {
  script: 'bench/inclusion-proof.ts',
  summary:
    'Time of RFC 6962 inclusion proofs from the stored Merkle tree (MerkleLog) at random leaves, against the full\n' +
    'tree and against a random earlier tree size as a checkpoint would be; time of verifyInclusion; and, as the\n' +
    'baseline, rootOf over every leaf.',
  options: {
    leaves: { default: 1_000_000, min: 2, help: 'entries in the log' },
    proofs: { default: 10_000, min: 1, help: 'proofs timed at each of the two tree sizes' },
    verifications: { default: 1_000, min: 1, help: 'verifyInclusion calls timed' },
    'baseline-runs': { default: 3, min: 1, help: 'rootOf runs over every leaf (the median is compared)' },
    seed: { default: 1, help: 'seed of the random leaves and sizes' },
  },
};
const TARGET_P99_MICROS = 5_000;
const WARM_UP = 500;
const RESULTS = join(ROOT, 'bench', 'results', 'inclusion-proof.json');

const seconds = (ns: bigint) => Number(ns) / 1e9;

/** Leaf i is SHA-256 of the decimal index: cheap to make, and as random as real leaf hashes. */
function buildLeaves(count: number): Buffer {
  const all = Buffer.allocUnsafe(count * 32);
  for (let i = 0; i < count; i++) createHash('sha256').update(String(i)).digest().copy(all, i * 32);
  return all;
}

/** Times `run` once per sample after a short untimed warm-up, so JIT compilation is not counted. */
function timeEach<T>(samples: readonly T[], run: (sample: T) => unknown): bigint[] {
  for (const s of samples.slice(0, WARM_UP)) run(s);
  return samples.map((s) => {
    const started = process.hrtime.bigint();
    run(s);
    return process.hrtime.bigint() - started;
  });
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const random = seededRandom(options.seed);
  const n = options.leaves;

  progress(`hashing ${thousands(n)} leaves ...`);
  let t = process.hrtime.bigint();
  const leafBytes = buildLeaves(n);
  const leavesSeconds = seconds(process.hrtime.bigint() - t);
  progress('building the tree ...');
  const log = new MerkleLog();
  t = process.hrtime.bigint();
  log.appendMany(leafBytes);
  const buildSeconds = seconds(process.hrtime.bigint() - t);
  const root = log.root();

  progress(`timing ${thousands(options.proofs)} proofs against the full tree ...`);
  const atFull = Array.from({ length: options.proofs }, () => Math.floor(random() * n));
  const fullNs = timeEach(atFull, (index) => log.inclusionProof(index, n));

  progress(`timing ${thousands(options.proofs)} proofs against earlier tree sizes ...`);
  const earlier = Array.from({ length: options.proofs }, () => {
    const size = 1 + Math.floor(random() * n);
    return { index: Math.floor(random() * size), size };
  });
  const earlierNs = timeEach(earlier, ({ index, size }) => log.inclusionProof(index, size));

  progress(`timing ${thousands(options.verifications)} verifications ...`);
  const checks = Array.from({ length: options.verifications }, () => {
    const size = random() < 0.5 ? n : 1 + Math.floor(random() * n);
    const index = Math.floor(random() * size);
    return { index, size, leafHash: log.leaf(index), proof: log.inclusionProof(index, size), root: log.root(size) };
  });
  const verifyNs = timeEach(checks, (check) => verifyInclusion(check));

  progress(`baseline: rootOf over ${thousands(n)} leaves, ${options['baseline-runs']} times ...`);
  const leafViews = Array.from({ length: n }, (_, i) => leafBytes.subarray(i * 32, (i + 1) * 32));
  const baselineRuns: number[] = [];
  for (let run = 0; run < options['baseline-runs']; run++) {
    t = process.hrtime.bigint();
    const computed = rootOf(leafViews);
    baselineRuns.push(Number(process.hrtime.bigint() - t) / 1_000);
    if (!computed.equals(root)) throw new Error('rootOf and MerkleLog disagree on the root: the benchmark is not measuring the same tree');
  }
  const baselineMicros = [...baselineRuns].sort((a, b) => a - b)[Math.floor(baselineRuns.length / 2)];

  const full = percentilesMicros(fullNs);
  const atEarlier = percentilesMicros(earlierNs);
  const verify = percentilesMicros(verifyNs);
  const row = (name: string, p: Percentiles) => [name, p.count, p.p50, p.p99, p.max, p.mean];
  console.log(`\nlog of ${thousands(n)} leaves: leaves hashed in ${leavesSeconds.toFixed(2)} s, tree built in ${buildSeconds.toFixed(2)} s\n`);
  printTable(
    ['operation (microseconds)', 'count', 'p50', 'p99', 'max', 'mean'],
    [
      row(`inclusionProof(i, ${thousands(n)})`, full),
      row('inclusionProof(i, random earlier size)', atEarlier),
      row('verifyInclusion', verify),
      [`baseline: rootOf over ${thousands(n)} leaves (median of ${baselineRuns.length})`, baselineRuns.length, baselineMicros, baselineMicros, Math.max(...baselineRuns), baselineRuns.reduce((a, b) => a + b, 0) / baselineRuns.length],
    ],
  );
  const ratio = baselineMicros / full.p50;
  console.log(`\nratio baseline/proof at p50: ${thousands(Math.round(ratio))}x (p99: ${thousands(Math.round(baselineMicros / full.p99))}x)\n`);
  const targets: TargetResult[] = [
    { target: `inclusion proof p99 <= ${TARGET_P99_MICROS / 1000} ms at the full size`, measured: `${full.p99} µs`, pass: full.p99 <= TARGET_P99_MICROS },
    { target: `inclusion proof p99 <= ${TARGET_P99_MICROS / 1000} ms at earlier sizes`, measured: `${atEarlier.p99} µs`, pass: atEarlier.p99 <= TARGET_P99_MICROS },
  ];
  printTargets(targets);
  writeJson(RESULTS, {
    benchmark: 'inclusion-proof',
    measuredAt: new Date().toISOString(),
    environment,
    options,
    warmUpPerSeries: WARM_UP,
    leavesSeconds,
    buildSeconds,
    micros: { proofAtFullSize: full, proofAtEarlierSize: atEarlier, verifyInclusion: verify },
    baseline: { what: 'rootOf over every leaf hash', runsMicros: baselineRuns, medianMicros: baselineMicros },
    ratioBaselineToProofP50: ratio,
    targets,
  });
  console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
}

main().catch((error: Error) => {
  console.error(`inclusion-proof benchmark failed: ${error.message}`);
  process.exit(2);
});
