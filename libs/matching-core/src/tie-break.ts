import type { TieBreakRule } from '@clearwork/contracts';

/** A number in [0, 1) fixed by a decision's identity: which decisions a share-based rule applies to, replayably. */
export function decisionDraw(taskId: string, replica: number, attempt: number): number {
  return tieBreak(taskId, `draw:${replica}:${attempt}`) / 2 ** 32;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const COLON = 0x3a;

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME) >>> 0;
  return h;
}

/**
 * The rule new decisions break ties by, named in each record (`DecisionRecordedData.tieBreak`):
 * - `fnv1a-pair`: FNV-1a over the UTF-16 code units of `taskId:workerId`. Records without the
 *   field were ranked by it. Every tied member must be hashed afresh for each task, reading its id.
 * - `fmix32-keys`: the 32-bit finaliser of MurmurHash3 over (the task's key XOR the worker's key),
 *   each key FNV-1a of the id. The worker's key does not depend on the task, so a pool keeps its
 *   members' keys (`BaseOrder.keys`) and a ranking compares thousands of tied members with a few
 *   integer operations each, never reading their ids. The finaliser mixes every bit of both keys
 *   into every bit of the value, so each task orders the tied members as if at random.
 */
export const TIE_BREAK_RULE: TieBreakRule = 'fmix32-keys';

/** The rule a record's ties were broken by: records from before the rule was named used `fnv1a-pair`. */
export function tieBreakRuleOf(decision: { readonly tieBreak?: TieBreakRule }): TieBreakRule {
  return decision.tieBreak ?? 'fnv1a-pair';
}

/** `fnv1a-pair`: FNV-1a of `taskId:workerId`, hashed part by part rather than over the joined string. */
export function tieBreak(taskId: string, workerId: string): number {
  return tieBreaker(taskId, 'fnv1a-pair')(workerId);
}

/** An id's key under `fmix32-keys`: FNV-1a of its UTF-16 code units. */
export function tieKey(id: string): number {
  return fnv(FNV_OFFSET, id);
}

/** `fmix32-keys` from the two keys (see `tieKey`). */
export function keyedTie(taskKey: number, workerKey: number): number {
  let h = taskKey ^ workerKey;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The tie values of one task under `rule`, by worker id: the task's part is computed once. */
export function tieBreaker(taskId: string, rule: TieBreakRule = TIE_BREAK_RULE): (workerId: string) => number {
  if (rule === 'fnv1a-pair') {
    const prefix = Math.imul(fnv(FNV_OFFSET, taskId) ^ COLON, FNV_PRIME) >>> 0;
    return (workerId) => fnv(prefix, workerId);
  }
  const taskKey = tieKey(taskId);
  return (workerId) => keyedTie(taskKey, tieKey(workerId));
}
