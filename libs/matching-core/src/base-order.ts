import type { Candidate } from './candidate';
import { tieKey } from './tie-break';
import { SCORE_PLUGINS, type ScorePlugin } from './score-plugins';

/**
 * A pool's base scores under one policy's weights, and its members in the order of those
 * scores: what lets a ranking visit the best few members instead of every one (see
 * `RankingInput.standing`). The base score depends on the worker and the weights only, never on
 * the task, so one order serves every attempt on the pool until a member's scores change.
 */
export interface BaseOrder {
  /** Each candidate's base score, by position: the policy's weighted sum, rounded as recorded. */
  readonly base: Float64Array;
  /** Positions of the candidates by base score, highest first (equal scores in any order). */
  readonly order: Int32Array;
  /** Each candidate's tie key (`tieKey` of its worker id), by position: ties compared without reading ids. */
  readonly keys: Uint32Array;
}

/** Scores are recorded to 6 decimals so a replay from the JSON record compares exactly. */
export function roundScore(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The weighted parts of a base score: the policy's weight of each plugin, in the policy's order. */
export function scoreParts(weights: Readonly<Record<string, number>>, plugins: Readonly<Record<string, ScorePlugin>> = SCORE_PLUGINS) {
  return Object.entries(weights).map(([name, weight]) => ({ name, weight, plugin: plugins[name] as ScorePlugin | undefined }));
}

export type ScoreParts = ReturnType<typeof scoreParts>;

/** One component as recorded: rounded before weighting, so a replay from the record gives the same base score. */
export function componentOf(c: Candidate, part: ScoreParts[number]): number {
  return roundScore(part.plugin?.score(c) ?? 0);
}

/** The base score: components missing from a candidate count as 0. */
export function baseScoreOf(c: Candidate, parts: ScoreParts): number {
  let sum = 0;
  for (const part of parts) sum += part.weight * componentOf(c, part);
  return roundScore(sum);
}

/**
 * The base order of `candidates` under `weights`. With `previous` (the order of an earlier
 * version of the same pool: the same workers at the same positions, some of them replaced by
 * newer candidate objects) only the replaced candidates are scored again, and the order is
 * mended by moving those whose score changed: one pass over the positions instead of a sort.
 * A previous version of another length or with other workers is ignored.
 */
export function baseOrder(
  candidates: readonly Candidate[],
  weights: Readonly<Record<string, number>>,
  { plugins, previous }: { plugins?: Readonly<Record<string, ScorePlugin>>; previous?: PreviousVersion & { readonly order: BaseOrder } } = {},
): BaseOrder {
  const parts = scoreParts(weights, plugins);
  const replaced = previous && replacedSince(candidates, previous);
  if (replaced) return mend(candidates, parts, replaced, previous!.order);
  const base = new Float64Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) base[i] = baseScoreOf(candidates[i], parts);
  const order = new Int32Array(candidates.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => base[b] - base[a]);
  const keys = new Uint32Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) keys[i] = tieKey(candidates[i].workerId);
  return { base, order, keys };
}

/**
 * An earlier version of the same pool, for mending what was made for it. `replaced`, when the
 * caller knows it (the pools record what each copy replaced), lists every position whose
 * candidate may differ (more is harmless: those are only checked again) and spares a pass over
 * the whole pool; without it the positions are found by comparing the two versions.
 */
export interface PreviousVersion {
  readonly candidates: readonly Candidate[];
  readonly replaced?: readonly number[];
}

/** The positions to check again against `previous` (see PreviousVersion), or undefined when it cannot be mended from. */
export function replacedSince(candidates: readonly Candidate[], previous: PreviousVersion): readonly number[] | undefined {
  if (previous.replaced && candidates.length === previous.candidates.length) return previous.replaced;
  return replacedPositions(candidates, previous.candidates);
}

/**
 * The positions where `candidates` holds another object than `before` (an earlier version of the
 * same pool); undefined when the two are not the same workers at the same positions, so that
 * what was kept for `before` cannot be mended and must be made afresh.
 */
export function replacedPositions(candidates: readonly Candidate[], before: readonly Candidate[]): number[] | undefined {
  if (candidates.length !== before.length) return undefined;
  const replaced: number[] = [];
  for (let i = 0; i < candidates.length; i++) {
    if (candidates[i] === before[i]) continue;
    if (candidates[i].workerId !== before[i].workerId) return undefined;
    replaced.push(i);
  }
  return replaced;
}

/** The previous order with the replaced candidates scored again and moved. */
function mend(candidates: readonly Candidate[], parts: ScoreParts, replaced: readonly number[], previous: BaseOrder): BaseOrder {
  let base: Float64Array | undefined;
  const moved: number[] = [];
  for (const i of replaced) {
    const score = baseScoreOf(candidates[i], parts);
    if (score === previous.base[i]) continue;
    (base ??= Float64Array.from(previous.base))[i] = score;
    moved.push(i);
  }
  // The same workers at the same positions: the keys are the previous ones.
  if (!base) return previous;
  const isMoved = new Uint8Array(candidates.length);
  for (const i of moved) isMoved[i] = 1;
  moved.sort((a, b) => base[b] - base[a]);
  const order = new Int32Array(candidates.length);
  let k = 0;
  let j = 0;
  for (let n = 0; n < previous.order.length; n++) {
    const i = previous.order[n];
    if (isMoved[i]) continue;
    while (j < moved.length && base[moved[j]] > base[i]) order[k++] = moved[j++];
    order[k++] = i;
  }
  while (j < moved.length) order[k++] = moved[j++];
  return { base, order, keys: previous.keys };
}
