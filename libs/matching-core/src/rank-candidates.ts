import type { FilterReason, RankedCandidate, TieBreakRule } from '@clearwork/contracts';
import type { Candidate, FilterPlugin, MatchContext } from './candidate';
import type { StandingRules } from './standing-rules';
import { ELIGIBILITY_FILTERS, firstFailedRule } from './eligibility-filters';
import { baseScoreOf, componentOf, roundScore, scoreParts, type BaseOrder, type ScoreParts } from './base-order';
import { adjustmentsAt, applyFairness, type FairnessInput, type FairnessOutcome } from './fairness';
import type { ScorePlugin } from './score-plugins';
import { keyedTie, TIE_BREAK_RULE, tieBreaker, tieKey } from './tie-break';

export interface RankingInput {
  readonly candidates: readonly Candidate[];
  readonly context: MatchContext;
  /** Policy weight per score component; components missing from a candidate count as 0. */
  readonly weights: Readonly<Record<string, number>>;
  readonly topK: number;
  readonly filters?: readonly FilterPlugin[];
  readonly plugins?: Readonly<Record<string, ScorePlugin>>;
  /** Fairness rules; without them the ranking is by weighted score alone. */
  readonly fairness?: FairnessInput;
  /** Rank only the best this many (the order is the same as in the full ranking); all when absent. */
  readonly limit?: number;
  /**
   * Every candidate is known to hold the task's required skills (they are the pool of those
   * skills): the skill rule is not checked. Only with the default filters.
   */
  readonly skillsHeld?: boolean;
  /**
   * The candidates' base order under these weights and plugins (`baseOrder`), kept with the pool
   * between attempts: with a `limit`, only the best members are scored.
   */
  readonly standing?: BaseOrder;
  /**
   * The positions of every candidate whose `queueShare` is above 0 (the queue's recent offerees):
   * when given, a walk of the base order reads no other candidate's share, so the thousands of
   * members it may visit are compared in typed arrays alone.
   */
  readonly sharing?: readonly number[];
  /**
   * The pool's standing rules for this task's requirements (`standingRules`, made with the same
   * `skillsHeld`: nobody excluded, on the task or declined, capacity in use as the pool holds it),
   * and the positions of every member whose facts differ in this attempt (excluded, on the task,
   * declined, capacity taken since): those are checked afresh, every other member is judged by
   * the standing rules. Only with the default filters.
   */
  readonly standingRules?: { readonly rules: StandingRules; readonly recheck: Iterable<number> };
}

export interface Ranking {
  readonly poolSize: number;
  readonly filteredOut: Partial<Record<FilterReason, number>>;
  /** Per worker, the first rule it failed. */
  readonly ineligible: ReadonlyMap<string, FilterReason>;
  /** The eligible workers, best first: every one, or the best `limit`. */
  readonly ranked: readonly RankedCandidate[];
  /** How many workers were eligible (more than `ranked` holds when a limit cut it). */
  readonly eligible: number;
  /** The rule that broke ties on score, for the decision's record. */
  readonly tieBreak: TieBreakRule;
}

/**
 * Filter, score and rank. Pure and deterministic: ties on score are broken by a hash of
 * (taskId, workerId) under TIE_BREAK_RULE, so equal workers share tasks fairly yet a replay gives
 * the same order.
 * With a `limit`, the best are picked without sorting everyone (a pool can hold thousands), and
 * the tie hash is computed only where scores are equal. Scores are kept in typed arrays while
 * everyone eligible is scored; components and adjustments are made only for the workers ranked.
 * With a `limit` and the pool's `standing` base order, only the best members are scored at all
 * (see `rankByBaseOrder`); with the pool's `standingRules`, only the members this attempt's facts
 * touch are checked against the hard rules. Either way the counts by rule are of everyone.
 */
export function rankCandidates(input: RankingInput): Ranking {
  const filters = input.filters ?? ELIGIBILITY_FILTERS;
  const { context, weights, candidates, standing } = input;
  const walk = standing !== undefined && input.limit !== undefined;
  if (standing && standing.base.length !== candidates.length) throw new Error(`the standing order holds ${standing.base.length} candidates, not ${candidates.length}`);
  const { failedRule, counts } = input.standingRules ? judgeFromStanding(input, input.standingRules) : judgeEveryone(input, filters);
  let eligibleCount = candidates.length;
  const filteredOut: Partial<Record<FilterReason, number>> = {};
  // In the order of the rules, whichever way they were judged.
  for (let f = 0; f < filters.length; f++) {
    if (counts[f] === 0) continue;
    filteredOut[filters[f].reason] = counts[f];
    eligibleCount -= counts[f];
  }
  /** Positions of the eligible candidates (not needed when walking the base order). */
  const eligible: number[] = [];
  if (!walk) for (let i = 0; i < candidates.length; i++) if (failedRule[i] < 0) eligible.push(i);
  const parts = scoreParts(weights, input.plugins);
  const tieOf = tieBreaker(context.task.taskId);
  const best = walk
    ? rankByBaseOrder(input, standing, input.limit!, failedRule, eligibleCount)
    : rankEveryone(input, parts, eligible, tieOf);
  const ranked = best.order.map((i, at): RankedCandidate => {
    const candidate = candidates[i];
    const components: Record<string, number> = {};
    for (const part of parts) components[part.name] = componentOf(candidate, part);
    return {
      rank: at + 1,
      workerId: candidate.workerId,
      components,
      baseScore: best.base(i),
      adjustments: input.fairness ? adjustmentsAt(i, candidate, best.fairness, input.fairness, context.task.queue) : [],
      finalScore: best.final(i),
    };
  });
  let ineligible: Map<string, FilterReason> | undefined;
  return {
    poolSize: candidates.length, filteredOut, ranked, eligible: eligibleCount, tieBreak: TIE_BREAK_RULE,
    // Read by tests and tools, not by the dispatcher: made only when asked for.
    get ineligible() {
      if (!ineligible) {
        ineligible = new Map();
        for (let i = 0; i < candidates.length; i++) if (failedRule[i] >= 0) ineligible.set(candidates[i].workerId, filters[failedRule[i]].reason);
      }
      return ineligible;
    },
  };
}

/** Per candidate, the index in the filters of the first rule it failed (or -1), and how many fail each rule first. */
interface Judged {
  readonly failedRule: Int8Array;
  readonly counts: Int32Array;
}

/** Every candidate checked against the rules. */
function judgeEveryone(input: RankingInput, filters: readonly FilterPlugin[]): Judged {
  const { candidates, context } = input;
  const failedRule = new Int8Array(candidates.length);
  const counts = new Int32Array(filters.length);
  const skillsHeld = input.skillsHeld === true;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i];
    let failed = -1;
    if (!input.filters) {
      failed = firstFailedRule(candidate, context, skillsHeld);
    } else {
      for (let f = 0; f < filters.length; f++) {
        if (!filters[f].passes(candidate, context)) {
          failed = f;
          break;
        }
      }
    }
    failedRule[i] = failed;
    if (failed >= 0) counts[failed]++;
  }
  return { failedRule, counts };
}

/** The pool's standing rules, with the members this attempt's facts touch checked afresh. */
function judgeFromStanding(input: RankingInput, { rules, recheck }: NonNullable<RankingInput['standingRules']>): Judged {
  const { candidates, context } = input;
  if (input.filters) throw new Error('standing rules are made with the default filters: give either filters or standing rules, not both');
  if (rules.rule.length !== candidates.length) throw new Error(`the standing rules hold ${rules.rule.length} candidates, not ${candidates.length}`);
  const failedRule = rules.rule.slice();
  const counts = Int32Array.from(rules.counts);
  const skillsHeld = input.skillsHeld === true;
  for (const i of recheck) {
    const was = failedRule[i];
    const now = firstFailedRule(candidates[i], context, skillsHeld);
    if (now === was) continue;
    failedRule[i] = now;
    if (was >= 0) counts[was]--;
    if (now >= 0) counts[now]++;
  }
  return { failedRule, counts };
}

/** The workers ranked, by position in the candidates, with their scores and what fairness did (indexed by position). */
interface Picked {
  readonly order: readonly number[];
  readonly base: (i: number) => number;
  readonly final: (i: number) => number;
  readonly fairness: FairnessOutcome;
}

/** Scores everyone eligible, applies fairness to all, and keeps the best `limit` (or sorts all). */
function rankEveryone(input: RankingInput, parts: ScoreParts, eligible: readonly number[], tieOf: (workerId: string) => number): Picked {
  const { candidates } = input;
  const n = candidates.length;
  // Typed arrays by position in the candidates: only the eligible entries are used.
  const base = new Float64Array(n);
  for (const i of eligible) base[i] = baseScoreOf(candidates[i], parts);
  const tie = TIE_SCRATCH.cache(candidates, tieOf);
  const final = Float64Array.from(base);
  const fairness = input.fairness ? applyFairness(candidates, eligible, final, input.fairness, tie) : {};
  for (const i of eligible) final[i] = roundScore(final[i]);
  const order = byRank(candidates, (i) => final[i], tie);
  const all = eligible.slice();
  const picked = input.limit !== undefined && input.limit < all.length ? bestOf(all, input.limit, order) : all.sort(order);
  return { order: picked, base: (i) => base[i], final: (i) => final[i], fairness };
}

/** Negative when the candidate at position `a` ranks before the one at `b`: higher score, then the tie hash, then the worker id. */
function byRank(candidates: readonly Candidate[], score: (i: number) => number, tie: (i: number) => number) {
  return (a: number, b: number) => score(b) - score(a) || tie(a) - tie(b) || (candidates[a].workerId < candidates[b].workerId ? -1 : 1);
}

/**
 * Room for the tie hashes of one ranking, reused by the next: a ranking may hash most of a pool
 * of thousands, and a fresh array per attempt was garbage by the megabyte a second. An entry
 * holds a hash of this ranking only when its stamp is this ranking's. Rankings run one at a time
 * (they are synchronous), so one room serves them all.
 */
class TieScratch {
  private ties = new Float64Array(0);
  private stamps = new Uint32Array(0);
  private stamp = 0;

  /** The tie hash by position among `candidates`, each computed once for this ranking. */
  cache(candidates: readonly Candidate[], tieOf: (workerId: string) => number): (i: number) => number {
    if (this.ties.length < candidates.length) {
      this.ties = new Float64Array(candidates.length);
      this.stamps = new Uint32Array(candidates.length);
      this.stamp = 0;
    }
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      // After 2^32 rankings the stamps wrap round: start them again.
      this.stamps.fill(0);
      this.stamp = 1;
    }
    const { ties, stamps, stamp } = this;
    return (i) => {
      if (stamps[i] === stamp) return ties[i];
      stamps[i] = stamp;
      return (ties[i] = tieOf(candidates[i].workerId));
    };
  }
}

const TIE_SCRATCH = new TieScratch();

/**
 * Which members the queue-share cap lowers, by position, for one walk: marked from the few
 * positions that hold a share and unmarked after, so a pool of thousands is neither read nor
 * allocated per attempt. Walks are synchronous, so one room serves them all.
 */
class CappedScratch {
  private flags = new Uint8Array(0);

  mark(size: number, sharing: readonly number[], isCapped: (i: number) => boolean): Uint8Array {
    if (this.flags.length < size) this.flags = new Uint8Array(size);
    for (const i of sharing) if (i >= 0 && i < size && isCapped(i)) this.flags[i] = 1;
    return this.flags;
  }

  clear(sharing: readonly number[]): void {
    for (const i of sharing) if (i >= 0 && i < this.flags.length) this.flags[i] = 0;
  }
}

const CAPPED_SCRATCH = new CappedScratch();

/** Half a recorded score step: scores a step apart differ by at least this much in floating point. */
const HALF_STEP = 5e-7;

/**
 * The best `limit` of the eligible, found by visiting the members in their base order until no
 * member left could enter: the queue-share cap only lowers a score and the best newcomer is
 * looked for in the same walk, so once the next base score is below the last kept score (and
 * below the best newcomer's, when the draw asks for one) the rest need not be scored. Gives
 * exactly what `rankEveryone` gives (property tests hold them equal, and equal to the plain one).
 * Equal scores are all visited, so the tie hash decides between them as it does there.
 */
function rankByBaseOrder(input: RankingInput, standing: BaseOrder, limit: number, failedRule: Int8Array, eligibleCount: number): Picked {
  const { candidates } = input;
  const f = input.fairness;
  const { base, order, keys } = standing;
  const capping = f !== undefined && f.queueSample >= f.queueShareMinSample;
  const isCapped = (i: number) => capping && (candidates[i].queueShare ?? 0) > f!.maxQueueShare;
  // With the positions of the members who hold a share, the others' objects are never read.
  const cappedAt = input.sharing === undefined ? undefined : CAPPED_SCRATCH.mark(candidates.length, input.sharing, isCapped);
  const capped = cappedAt === undefined ? isCapped : (i: number) => cappedAt[i] === 1;
  try {
    const picked = walkBaseOrder(input, base, order, keys, capped, limit, failedRule, eligibleCount);
    if (cappedAt === undefined) return picked;
    // The final scores read the marks, which are taken off below: worked out while they stand.
    const finals = new Map(picked.order.map((i) => [i, picked.final(i)]));
    return { ...picked, final: (i) => finals.get(i)! };
  } finally {
    if (input.sharing !== undefined) CAPPED_SCRATCH.clear(input.sharing);
  }
}

function walkBaseOrder(
  input: RankingInput,
  base: Float64Array,
  order: Int32Array,
  keys: Uint32Array,
  isCapped: (i: number) => boolean,
  limit: number,
  failedRule: Int8Array,
  eligibleCount: number,
): Picked {
  const { candidates } = input;
  const f = input.fairness;
  /** The score the fairness rules compare (capped, not yet rounded), as applyFairness has it. */
  const fair = (i: number) => (isCapped(i) ? base[i] - 1 : base[i]);
  // Many members can share a score (newcomers all start from the same prior), and then every
  // one of them is compared by its tie value: under `fmix32-keys`, from the pool's kept keys.
  const taskKey = tieKey(input.context.task.taskId);
  const tie = (i: number) => keyedTie(taskKey, keys[i]);
  let newcomer: { at: number; delta: number } | undefined;
  const final = (i: number) => roundScore(newcomer?.at === i ? fair(i) + newcomer.delta : fair(i));
  const rankOrder = byRank(candidates, final, tie);
  const wantNewcomer = f !== undefined && f.draw < f.newcomerShare && eligibleCount >= 2 && limit > 0;
  const kept: number[] = [];
  /** The last kept (once `limit` are kept) and its final score. */
  let last = -1;
  let lastFinal = -Infinity;
  let lastTie = 0;
  let runScore = NaN;
  let runRounded = NaN;
  let bestNewcomer = -1;
  let newcomerScore = -Infinity;
  let top = -Infinity;
  /** Whether `a` goes before `b` among equal scores: the tie hash, then the worker id. */
  const tiesBefore = (a: number, b: number) => {
    const ta = tie(a);
    const tb = tie(b);
    return ta < tb || (ta === tb && candidates[a].workerId < candidates[b].workerId);
  };
  const newcomerMaxReviews = f?.newcomerMaxReviews ?? 0;
  for (let k = 0; k < order.length && limit > 0; k++) {
    const i = order[k];
    const next = base[i] + HALF_STEP;
    // Below the last kept score is below the top score too, so the top is known as well.
    if (last >= 0 && next < lastFinal && (!wantNewcomer || (bestNewcomer >= 0 && next < newcomerScore))) break;
    if (failedRule[i] >= 0) continue;
    // The comparisons of `before` and `rankOrder` written out with numbers: many members can tie
    // (every newcomer on the same prior), and each of them is visited.
    const score = fair(i);
    if (score > top) top = score;
    if (wantNewcomer && (candidates[i].qualityEvidence ?? 0) < newcomerMaxReviews && (bestNewcomer < 0 || score > newcomerScore || (score === newcomerScore && tiesBefore(i, bestNewcomer)))) {
      bestNewcomer = i;
      newcomerScore = score;
    }
    if (last >= 0) {
      // Most members visited past the limit rank after the last kept: turned away here.
      // Runs of equal scores (the tied) are rounded once.
      if (score !== runScore) {
        runScore = score;
        runRounded = roundScore(score);
      }
      const rounded = runRounded;
      if (rounded < lastFinal) continue;
      if (rounded === lastFinal) {
        const t = keyedTie(taskKey, keys[i]);
        if (t > lastTie || (t === lastTie && candidates[i].workerId > candidates[last].workerId)) continue;
      }
    }
    keepBest(kept, i, limit, rankOrder);
    if (kept.length === limit) {
      last = kept[limit - 1];
      lastFinal = final(last);
      lastTie = tie(last);
    }
  }
  if (wantNewcomer && bestNewcomer >= 0 && newcomerScore < top) {
    newcomer = { at: bestNewcomer, delta: roundScore(top - newcomerScore + 1e-6) };
    const others = kept.filter((i) => i !== bestNewcomer);
    kept.length = 0;
    for (const i of [bestNewcomer, ...others]) keepBest(kept, i, limit, rankOrder);
  }
  let capped: Uint8Array | undefined;
  for (const i of kept) if (isCapped(i)) (capped ??= new Uint8Array(candidates.length))[i] = 1;
  return { order: kept, base: (i) => base[i], final, fairness: { capped, newcomer } };
}

/** The first `n` of `items` under `order`, in order: one pass keeping the best n, sorted as it goes. */
function bestOf<T>(items: readonly T[], n: number, order: (a: T, b: T) => number): T[] {
  const best: T[] = [];
  for (const item of items) keepBest(best, item, n, order);
  return best;
}

/** Puts `item` in its place in `best` (sorted under `order`) if it is among the first `n`. */
function keepBest<T>(best: T[], item: T, n: number, order: (a: T, b: T) => number): void {
  if (n <= 0 || (best.length === n && order(item, best[n - 1]) >= 0)) return;
  let lo = 0;
  let hi = best.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (order(item, best[mid]) < 0) hi = mid;
    else lo = mid + 1;
  }
  best.splice(lo, 0, item);
  if (best.length > n) best.pop();
}

/** The policy's weighted sum of recorded components, rounded as recorded: the base score. */
export function weightedScore(components: Readonly<Record<string, number>>, weights: Readonly<Record<string, number>>): number {
  return roundScore(Object.entries(weights).reduce((sum, [name, weight]) => sum + weight * (components[name] ?? 0), 0));
}
