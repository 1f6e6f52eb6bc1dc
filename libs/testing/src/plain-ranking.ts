import type { Adjustment, RankedCandidate } from '@clearwork/contracts';
import { ELIGIBILITY_FILTERS, SCORE_PLUGINS, type Candidate, type FairnessInput, type MatchContext } from '@clearwork/matching-core';

/** FNV-1a over the UTF-16 code units of a string, written plainly. */
function plainFnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** `fnv1a-pair`: FNV-1a over the joined string `taskId:workerId`, as the tie hash was first defined: records without a named rule were ordered by it. */
export function plainTieBreak(taskId: string, workerId: string): number {
  return plainFnv1a(`${taskId}:${workerId}`);
}

/** `fmix32-keys`, written from its definition: MurmurHash3's 32-bit finaliser of FNV-1a(taskId) XOR FNV-1a(workerId). */
export function plainKeyedTieBreak(taskId: string, workerId: string): number {
  let h = (plainFnv1a(taskId) ^ plainFnv1a(workerId)) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The ranking written plainly, as it was before scores went into typed arrays: every eligible
 * worker an object with its components and adjustments, fairness applied to the objects, and
 * everyone sorted. The reference rankCandidates is tested against (it must give exactly what
 * this gives), and the baseline of `bench/ranking.ts`. Ties go by `fmix32-keys`, the rule new
 * decisions are ranked by, unless `tieBreak` names the other.
 */
export function plainRanking(candidates: readonly Candidate[], ctx: MatchContext, weights: Record<string, number>, fairness?: FairnessInput, tieBreak: 'fnv1a-pair' | 'fmix32-keys' = 'fmix32-keys') {
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const filteredOut: Record<string, number> = {};
  type Entry = { c: Candidate; components: Record<string, number>; baseScore: number; finalScore: number; adjustments: Adjustment[] };
  const entries: Entry[] = [];
  for (const c of candidates) {
    const failed = ELIGIBILITY_FILTERS.find((f) => !f.passes(c, ctx));
    if (failed) {
      filteredOut[failed.reason] = (filteredOut[failed.reason] ?? 0) + 1;
      continue;
    }
    const components: Record<string, number> = {};
    for (const name of Object.keys(weights)) components[name] = round(SCORE_PLUGINS[name as keyof typeof SCORE_PLUGINS]?.score(c) ?? 0);
    const baseScore = round(Object.entries(weights).reduce((sum, [name, w]) => sum + w * components[name], 0));
    entries.push({ c, components, baseScore, finalScore: baseScore, adjustments: [] });
  }
  const { taskId, queue } = ctx.task;
  const tie = (workerId: string) => (tieBreak === 'fnv1a-pair' ? plainTieBreak(taskId, workerId) : plainKeyedTieBreak(taskId, workerId));
  const before = (a: Entry, b: Entry) => b.finalScore - a.finalScore || tie(a.c.workerId) - tie(b.c.workerId) || (a.c.workerId < b.c.workerId ? -1 : 1);
  if (fairness) {
    if (fairness.queueSample >= fairness.queueShareMinSample) {
      for (const e of entries) {
        if ((e.c.queueShare ?? 0) > fairness.maxQueueShare) {
          e.finalScore -= 1;
          e.adjustments.push({ kind: 'queue_share_cap', delta: -1, reason: `held ${pct(e.c.queueShare ?? 0)} of the last ${fairness.queueSample} offers in queue ${queue}; the cap is ${pct(fairness.maxQueueShare)}` });
        }
      }
    }
    if (fairness.draw < fairness.newcomerShare && entries.length >= 2) {
      const top = Math.max(...entries.map((e) => e.finalScore));
      const best = entries.filter((e) => (e.c.qualityEvidence ?? 0) < fairness.newcomerMaxReviews).sort(before)[0];
      if (best && best.finalScore < top) {
        const delta = Math.round((top - best.finalScore + 1e-6) * 1e6) / 1e6;
        best.finalScore += delta;
        best.adjustments.push({
          kind: 'newcomer_slot', delta,
          reason: `${pct(fairness.newcomerShare)} of decisions are reserved for workers with fewer than ${fairness.newcomerMaxReviews} reviews; this one was (draw ${fairness.draw.toFixed(3)})`,
        });
      }
    }
  }
  for (const e of entries) e.finalScore = round(e.finalScore);
  const ranked = entries.sort(before).map((e, i): RankedCandidate => ({
    rank: i + 1, workerId: e.c.workerId, components: e.components, baseScore: e.baseScore, adjustments: e.adjustments, finalScore: e.finalScore,
  }));
  return { filteredOut, ranked };
}
