import type { DecisionRecordedData } from '@clearwork/contracts';
import { explainOutcome, type OfferFacts, type Reconstruction } from '@clearwork/matching-core';
import type { WorkerExplanation } from '../../apps/audit/src/explanations/explanation.service';

/*
 * Explanations shaped exactly as the audit service answers them, for the specs: the pure
 * explainOutcome the service runs, plus the fields the service adds (ids, log proof, appeals).
 */

const weights = { quality: 0.5, latency: 0.2, availability: 0.3 };
const candidate = (workerId: string, rank: number, c: Record<string, number>, adjustment = 0) => {
  const base = Math.round(Object.entries(weights).reduce((s, [k, w]) => s + w * (c[k] ?? 0), 0) * 1e6) / 1e6;
  const adjustments = adjustment ? [{ kind: 'newcomer_share', delta: adjustment, reason: 'share of offers reserved for workers with little history' }] : [];
  return { rank, workerId, components: c, baseScore: base, adjustments, finalScore: Math.round((base + adjustment) * 1e6) / 1e6 };
};

const decision: DecisionRecordedData = {
  decisionId: 'd-t-42-1-1', taskId: 't-42', replica: 1, attempt: 1, decidedAt: '2026-11-22T10:00:01.000Z', mode: 'online',
  policy: { version: 3, contentHash: 'sha256:9f2c4e0b7a1d3c5e8f60718293a4b5c6' }, poolSize: 12, filteredOut: { offline: 4, skill_missing: 3 },
  topK: [
    candidate('w-selected', 1, { quality: 0.8, latency: 0.8, availability: 0.8 }),
    candidate('w-7', 2, { quality: 0.7, latency: 0.8, availability: 0.6 }, 0.02),
  ],
  selectedWorkerId: 'w-selected', cutoffScore: 0.71, inputDigest: 'x', summary: '5/12 workers eligible',
};
const noOffers: OfferFacts = { offeredBy: [], assigned: false, declined: false, expired: false, withdrawn: false };
const leaf = 'ab'.repeat(32);
const root = 'cd'.repeat(32);
const proof = {
  seq: 17, leafHash: leaf, treeSize: 40, rootHash: root, proof: ['ef'.repeat(32)],
  checkpoint: { origin: 'clearwork.local/audit', treeSize: 40, rootHash: root, timestamp: '2026-11-22T10:00:05.000Z', signature: 'c2ln', keyId: 'k-3f2a' },
};

function answer(workerId: string, offers: OfferFacts, reconstruction: Reconstruction | null, decisions = [decision]): WorkerExplanation {
  const e = explainOutcome({ workerId, decisions, offers, weightsOf: (v) => (v === 3 ? weights : null), reconstruction });
  return { workerId, taskId: 't-42', ...e, proof: e.decisionId ? proof : null, appeals: [] };
}

/** Ranked second in the record: every part of the answer is filled in. */
export const rankedBelow = answer('w-7', noOffers, null);
/** Outside the recorded candidates and failing a hard rule: rebuilt from history. */
export const ineligible = answer('w-9', noOffers, { decisionId: decision.decisionId, registered: true, rule: 'skill_missing', components: { quality: 0.8, latency: 0.5, availability: 0.5 } });
/** The selected worker, who accepted. */
export const assigned = answer('w-selected', { ...noOffers, offeredBy: [decision.decisionId], assigned: true }, null);
/** No decision about the task at all. */
export const noDecision = answer('w-1', noOffers, null, []);
