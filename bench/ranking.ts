/*
 * Time to rank one attempt's pool: rankCandidates as the dispatcher calls it (the pool's hard
 * rules judged once and kept, its base order walked until the best N are found), rankCandidates
 * checking and scoring everyone eligible (typed arrays, the best N picked in one pass), and, as
 * the baseline in the same run, the same ranking written plainly (plainRanking from libs/testing:
 * an object per eligible worker, everyone sorted), on the same pools and tasks. All must give the
 * same ranking, which is checked on every pool before timing. The time to make a pool's base
 * order and standing rules, and to mend them after ten members change, is reported beside.
 *   npx tsx bench/ranking.ts [--max-members 20000] [--rankings 300] [--help]
 * Needs nothing running. Results: a table on stdout, JSON in bench/results/ranking.json.
 * Exit status: 0 when measured, 2 when the run could not be made.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { baseOrder, decisionDraw, rankCandidates, standingRules, type Candidate, type FairnessInput, type MatchContext } from '@clearwork/matching-core';
import { plainRanking } from '@clearwork/testing';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { percentilesMicros, printTable, progress, seededRandom, thousands, writeJson, type Percentiles } from './support/report';

const SPEC = {
  script: 'bench/ranking.ts',
  summary:
    'Time of rankCandidates over pools of workers with the skill a task needs, as the dispatcher calls it\n' +
    '(standing rules, base order walked) and checking and scoring everyone, against the plain ranking\n' +
    '(an object per eligible worker, everyone sorted) on the same pools and tasks, in the same run;\n' +
    'and the time to make and to mend a pool\'s base order and standing rules.',
  options: {
    'max-members': { default: 20_000, min: 500, help: 'largest pool timed (pools of 500, 2,000, 5,000 and 20,000 members up to it)' },
    rankings: { default: 300, min: 10, help: 'rankings timed per pool size and implementation' },
    seed: { default: 1, help: 'seed of the pools' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'ranking.json');
const POOL_SIZES = [500, 2_000, 5_000, 20_000];
/**
 * The pools timed at each size: an established workforce (a tenth newcomers), and a new one
 * (nine in ten) whose newcomers, all on the same prior scores, rank above every reviewed worker:
 * the worst case for a walk of the base order, which must visit (and tie-hash) every one of them.
 */
const SHAPES = [
  { label: 'a tenth new', newShare: 0.1, reviewedScale: 1 },
  { label: 'nine in ten new, tied on top', newShare: 0.9, reviewedScale: 0.45 },
];
const WEIGHTS = { quality: 0.5, latency: 0.2, availability: 0.3 };
const FAIRNESS = { newcomerShare: 0.05, newcomerMaxReviews: 3, maxQueueShare: 0.2, queueShareMinSample: 20, queueSample: 100 };
/** What the dispatcher asks for: the policy's top-K or a batch's candidates per task, plus spares. */
const LIMIT = 42;

/**
 * A pool as the dispatcher holds one: everyone has the skill; a quarter have a slot in use and a
 * few are at capacity or offline; scores on the grids the scoring service's priors and
 * posteriors give (many ties), a handful over the queue-share cap. `newShare` of the members
 * are newcomers, who have no reviews yet and all share the prior scores; the reviewed workers'
 * scores are scaled by `reviewedScale`.
 */
function poolOf(size: number, random: () => number, { newShare, reviewedScale }: (typeof SHAPES)[number]): Candidate[] {
  const grid = (steps: number) => (Math.round(random() * steps) / steps) * reviewedScale;
  return Array.from({ length: size }, (_, i) => {
    const capacity = 1 + Math.floor(random() * 3);
    return {
      workerId: `worker-${String(i).padStart(6, '0')}`, skills: ['skill-1', `skill-${2 + Math.floor(random() * 39)}`], languages: random() < 0.9 ? ['en'] : ['fr'],
      qualifications: [], online: random() < 0.97, suspended: false, capacity, activeTasks: random() < 0.25 ? Math.ceil(random() * capacity) : 0,
      queueShare: random() < 0.002 ? 0.3 : 0,
      ...(random() < newShare
        ? { scores: { quality: 0.5, latency: 0.5, availability: 0.5 }, qualityEvidence: 0 }
        : { scores: { quality: grid(20), latency: grid(10), availability: grid(10) }, qualityEvidence: 10 + Math.floor(random() * 50) }),
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

type Ranker = (a: Attempt) => unknown;

/** Times each attempt once per implementation, in turn, after an untimed warm-up of each. */
function timeAll(rankers: readonly Ranker[], attempts: readonly Attempt[]): Percentiles[] {
  for (const a of attempts.slice(0, 20)) for (const rank of rankers) rank(a);
  const ns: bigint[][] = rankers.map(() => []);
  for (const a of attempts) {
    rankers.forEach((rank, r) => {
      const t = process.hrtime.bigint();
      rank(a);
      ns[r].push(process.hrtime.bigint() - t);
    });
  }
  return ns.map(percentilesMicros);
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const sizes = POOL_SIZES.filter((n) => n <= options['max-members']);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const random = seededRandom(options.seed);
  const rows: (string | number)[][] = [];
  const measured: { members: number; shape: string; walked: Percentiles; everyone: Percentiles; plainRanking: Percentiles; orderBuiltMicros: number; orderMendedMicros: number; ratioAtP50: number }[] = [];
  for (const [size, shape] of sizes.flatMap((n) => SHAPES.map((shape) => [n, shape] as const))) {
    const label = `${thousands(size)} (${shape.label})`;
    const pool = poolOf(size, random, shape);
    const attempts = attemptsFor(options.rankings);
    // The pool's base order and standing rules, as the dispatcher keeps them between attempts:
    // made once, then mended when a few members change (10 get new scores and a slot taken),
    // both timed as the median of 11 goes.
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const timed = (f: () => unknown) => {
      const t = process.hrtime.bigint();
      f();
      return Number(process.hrtime.bigint() - t) / 1000;
    };
    const requirements = attemptsFor(1)[0].context.task;
    const make = () => ({ order: baseOrder(pool, WEIGHTS), rules: standingRules(pool, requirements, { skillsHeld: true }) });
    const { order: standing, rules } = make();
    const orderBuiltMicros = median(Array.from({ length: 11 }, () => timed(make)));
    const orderMendedMicros = median(Array.from({ length: 11 }, () => {
      const changed = pool.slice();
      for (let k = 0; k < 10; k++) {
        const at = Math.floor(random() * size);
        changed[at] = { ...changed[at], activeTasks: changed[at].activeTasks + 1, scores: { ...changed[at].scores, quality: Math.round(random() * 20) / 20 } };
      }
      return timed(() => {
        baseOrder(changed, WEIGHTS, { previous: { candidates: pool, order: standing } });
        standingRules(changed, requirements, { skillsHeld: true, previous: { candidates: pool, rules } });
      });
    }));
    // The members who hold a share of the queue, as the dispatcher tells the walk.
    const sharing = pool.flatMap((c, at) => ((c.queueShare ?? 0) > 0 ? [at] : []));
    const input = (a: Attempt) => ({ candidates: pool, context: a.context, weights: WEIGHTS, topK: 10, limit: LIMIT, fairness: a.fairness, skillsHeld: true });
    // As the dispatcher ranks: no one in the pool touched by the attempt's own facts.
    const walked: Ranker = (a) => rankCandidates({ ...input(a), standing, sharing, standingRules: { rules, recheck: [] } });
    const everyone: Ranker = (a) => rankCandidates(input(a));
    const plain: Ranker = (a) => plainRanking(pool, a.context, WEIGHTS, a.fairness);
    progress(`${label} members: checking all three give the same ranking, then timing ${thousands(options.rankings)} rankings each ...`);
    for (const a of attempts.slice(0, 20)) {
      const expected = plainRanking(pool, a.context, WEIGHTS, a.fairness);
      for (const got of [rankCandidates({ ...input(a), standing, sharing, standingRules: { rules, recheck: [] } }), rankCandidates(input(a))]) {
        if (!isDeepStrictEqual(got.ranked, expected.ranked.slice(0, LIMIT)) || !isDeepStrictEqual(got.filteredOut, expected.filteredOut)) {
          throw new Error(`the rankings differ on a pool of ${label} (${a.context.task.taskId}): the benchmark would not compare like with like`);
        }
      }
    }
    const [w, e, p] = timeAll([walked, everyone, plain], attempts);
    const ratio = p.p50 / w.p50;
    measured.push({ members: size, shape: shape.label, walked: w, everyone: e, plainRanking: p, orderBuiltMicros, orderMendedMicros, ratioAtP50: ratio });
    rows.push([label, w.p50, w.p99, e.p50, e.p99, p.p50, p.p99, `${ratio.toFixed(1)}x`, Math.round(orderBuiltMicros), Math.round(orderMendedMicros)]);
  }
  console.log('');
  printTable(
    ['pool members', 'walked, standing rules p50 µs', 'p99 µs', 'everyone scored p50 µs', 'p99 µs', 'baseline: plain p50 µs', 'p99 µs', 'plain / walked at p50', 'order and rules made µs', 'mended µs'],
    rows,
  );
  writeJson(RESULTS, { benchmark: 'ranking', measuredAt: new Date().toISOString(), environment, options, limit: LIMIT, measured });
  console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
}

main().catch((error: Error) => {
  console.error(`ranking benchmark failed: ${error.message}`);
  process.exit(2);
});
