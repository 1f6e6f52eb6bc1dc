/*
 * Time to rank one attempt's pool: rankCandidates (scores in typed arrays, the best N picked in
 * one pass, components and adjustments made only for those ranked) against, as the baseline in
 * the same run, the same ranking written plainly (plainRanking from libs/testing: an object per
 * eligible worker, everyone sorted), on the same pools and tasks. Both must give the same
 * ranking, which is checked on every pool before timing.
 *   npx tsx bench/ranking.ts [--max-members 20000] [--rankings 300] [--help]
 * Needs nothing running. Results: a table on stdout, JSON in bench/results/ranking.json.
 * Exit status: 0 when measured, 2 when the run could not be made.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { decisionDraw, rankCandidates, type Candidate, type FairnessInput, type MatchContext } from '@clearwork/matching-core';
import { plainRanking } from '@clearwork/testing';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { percentilesMicros, printTable, progress, seededRandom, thousands, writeJson, type Percentiles } from './support/report';

const SPEC = {
  script: 'bench/ranking.ts',
  summary:
    'Time of rankCandidates over pools of workers with the skill a task needs, against the plain ranking\n' +
    '(an object per eligible worker, everyone sorted) on the same pools and tasks, in the same run.',
  options: {
    'max-members': { default: 20_000, min: 500, help: 'largest pool timed (pools of 500, 2,000, 5,000 and 20,000 members up to it)' },
    rankings: { default: 300, min: 10, help: 'rankings timed per pool size and implementation' },
    seed: { default: 1, help: 'seed of the pools' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'ranking.json');
const POOL_SIZES = [500, 2_000, 5_000, 20_000];
const WEIGHTS = { quality: 0.5, latency: 0.2, availability: 0.3 };
const FAIRNESS = { newcomerShare: 0.05, newcomerMaxReviews: 3, maxQueueShare: 0.2, queueShareMinSample: 20, queueSample: 100 };
/** What the dispatcher asks for: the policy's top-K or a batch's candidates per task, plus spares. */
const LIMIT = 42;

/**
 * A pool as the dispatcher holds one: everyone has the skill; a quarter have a slot in use and a
 * few are at capacity or offline; scores on the grids the scoring service's priors and
 * posteriors give (many ties), a tenth newcomers, a handful over the queue-share cap.
 */
function poolOf(size: number, random: () => number): Candidate[] {
  const grid = (steps: number) => Math.round(random() * steps) / steps;
  return Array.from({ length: size }, (_, i) => {
    const capacity = 1 + Math.floor(random() * 3);
    return {
      workerId: `worker-${String(i).padStart(6, '0')}`, skills: ['skill-1', `skill-${2 + Math.floor(random() * 39)}`], languages: random() < 0.9 ? ['en'] : ['fr'],
      qualifications: [], online: random() < 0.97, suspended: false, capacity, activeTasks: random() < 0.25 ? Math.ceil(random() * capacity) : 0,
      scores: { quality: grid(20), latency: grid(10), availability: grid(10) }, qualityEvidence: random() < 0.1 ? 1 : 10 + Math.floor(random() * 50),
      queueShare: random() < 0.002 ? 0.3 : 0,
    };
  });
}

interface Attempt {
  readonly context: MatchContext;
  readonly fairness: FairnessInput;
}

function attemptsFor(count: number): Attempt[] {
  return Array.from({ length: count }, (_, n) => {
    const taskId = `task-${n}`;
    return {
      context: { task: { taskId, queue: 'q', requiredSkills: ['skill-1'], languages: ['en'], requiredQualifications: [], excludedWorkerIds: [] }, onTask: new Set(), declined: new Set() },
      fairness: { ...FAIRNESS, draw: decisionDraw(taskId, 1, 1) },
    };
  });
}

/** Times each attempt once per implementation, alternating, after an untimed warm-up of each. */
function timeBoth(pool: Candidate[], attempts: readonly Attempt[]): { fast: Percentiles; plain: Percentiles } {
  const fast = (a: Attempt) => rankCandidates({ candidates: pool, context: a.context, weights: WEIGHTS, topK: 10, limit: LIMIT, fairness: a.fairness, skillsHeld: true });
  const plain = (a: Attempt) => plainRanking(pool, a.context, WEIGHTS, a.fairness);
  for (const a of attempts.slice(0, 20)) {
    fast(a);
    plain(a);
  }
  const fastNs: bigint[] = [];
  const plainNs: bigint[] = [];
  for (const a of attempts) {
    let t = process.hrtime.bigint();
    fast(a);
    fastNs.push(process.hrtime.bigint() - t);
    t = process.hrtime.bigint();
    plain(a);
    plainNs.push(process.hrtime.bigint() - t);
  }
  return { fast: percentilesMicros(fastNs), plain: percentilesMicros(plainNs) };
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const sizes = POOL_SIZES.filter((n) => n <= options['max-members']);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const random = seededRandom(options.seed);
  const rows: (string | number)[][] = [];
  const measured: { members: number; rankCandidates: Percentiles; plainRanking: Percentiles; ratioAtP50: number }[] = [];
  for (const size of sizes) {
    const pool = poolOf(size, random);
    const attempts = attemptsFor(options.rankings);
    progress(`${thousands(size)} members: checking both give the same ranking, then timing ${thousands(options.rankings)} rankings each ...`);
    for (const a of attempts.slice(0, 20)) {
      const fast = rankCandidates({ candidates: pool, context: a.context, weights: WEIGHTS, topK: 10, limit: LIMIT, fairness: a.fairness, skillsHeld: true });
      const plain = plainRanking(pool, a.context, WEIGHTS, a.fairness);
      if (!isDeepStrictEqual(fast.ranked, plain.ranked.slice(0, LIMIT)) || !isDeepStrictEqual(fast.filteredOut, plain.filteredOut)) {
        throw new Error(`the two rankings differ on a pool of ${size} (${a.context.task.taskId}): the benchmark would not compare like with like`);
      }
    }
    const { fast, plain } = timeBoth(pool, attempts);
    const ratio = plain.p50 / fast.p50;
    measured.push({ members: size, rankCandidates: fast, plainRanking: plain, ratioAtP50: ratio });
    rows.push([thousands(size), fast.p50, fast.p99, plain.p50, plain.p99, `${ratio.toFixed(1)}x`]);
  }
  console.log('');
  printTable(['pool members', 'rankCandidates p50 µs', 'p99 µs', 'baseline: plain p50 µs', 'p99 µs', 'plain / rankCandidates at p50'], rows);
  writeJson(RESULTS, { benchmark: 'ranking', measuredAt: new Date().toISOString(), environment, options, limit: LIMIT, measured });
  console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
}

main().catch((error: Error) => {
  console.error(`ranking benchmark failed: ${error.message}`);
  process.exit(2);
});
