import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { DecisionRecordedData, TaskPostedData, WorkerScored } from '@clearwork/contracts';
import { explainOutcome, type Explanation, type Reconstruction } from '@clearwork/matching-core';
import { AppealsService } from '../appeals/appeals.service';
import type { Appeal } from '../appeals/appeal-schemas';
import { eventOf } from '../log/log-entry';
import { LogProofs, type InclusionProof } from '../log/log-proofs';
import { LogReader } from '../log/log-reader';
import { PresenceMarks } from '../log/presence-marks';
import { RecordedPolicies } from '../policies/recorded-policies';
import { reconstructCandidate, type HistoryEvent } from './reconstruction';

export type WorkerExplanation = Explanation & {
  readonly workerId: string;
  readonly taskId: string;
  /** Proof that the decision entry explained is in the signed log. */
  readonly proof: InclusionProof | null;
  readonly appeals: readonly Appeal[];
};

const OFFER_TYPES = ['OfferMade', 'TaskAssigned', 'OfferExpired', 'OfferWithdrawn', 'OfferDeclined'];
const HISTORY_TYPES = [
  'WorkerRegistered', 'WorkerProfileUpdated', 'WorkerWentOnline', 'WorkerWentOffline', 'WorkerSuspended', 'WorkerReinstated',
  'TaskAssigned', 'TaskSubmitted', 'TaskAbandoned', 'OfferDeclined', 'OfferExpired',
];

/** Gathers from the log what "why did I (not) get this task?" needs, and answers it. */
@Injectable()
export class ExplanationService {
  constructor(
    @Inject(LogReader) private readonly reader: LogReader,
    @Inject(LogProofs) private readonly proofs: LogProofs,
    @Inject(RecordedPolicies) private readonly policies: RecordedPolicies,
    @Inject(AppealsService) private readonly appeals: AppealsService,
    @Inject(PresenceMarks) private readonly presence: PresenceMarks,
  ) {}

  async explain(workerId: string, taskId: string): Promise<WorkerExplanation> {
    const decisionEntries = await this.reader.find({ taskId, types: ['DecisionRecorded'] });
    if (decisionEntries.length === 0) throw new NotFoundException(`no decision has been recorded for task ${taskId}`);
    const decisions = decisionEntries.map((e) => eventOf<{ data: DecisionRecordedData }>(e.body).data);
    const mine = await this.reader.find({ taskId, workerId, types: OFFER_TYPES });
    const has = (type: string) => mine.some((e) => e.type === type);
    const offers = {
      offeredBy: mine.filter((e) => e.type === 'OfferMade').map((e) => e.decisionId!).filter(Boolean),
      assigned: has('TaskAssigned'),
      declined: has('OfferDeclined'),
      expired: has('OfferExpired'),
      withdrawn: has('OfferWithdrawn'),
    };
    const inRecord = decisions.some((d) => d.topK.some((c) => c.workerId === workerId)) || offers.offeredBy.length > 0;
    const latest = [...decisions].sort((a, b) => a.decidedAt.localeCompare(b.decidedAt)).at(-1)!;
    const reconstruction = inRecord ? null : await this.reconstruct(workerId, taskId, latest);
    const weights = new Map<number, Record<string, number>>();
    for (const d of decisions) {
      const policy = await this.policies.version(d.policy.version, d.policy.contentHash);
      if (policy) weights.set(d.policy.version, { ...policy.document.weights });
    }
    const explanation = explainOutcome({ workerId, decisions, offers, weightsOf: (v) => weights.get(v) ?? null, reconstruction });
    const entry = decisionEntries.find((e) => e.decisionId === explanation.decisionId);
    return {
      workerId,
      taskId,
      ...explanation,
      proof: entry ? await this.proofs.inclusion(entry.seq) : null,
      appeals: explanation.decisionId ? await this.appeals.forWorker(workerId, explanation.decisionId) : [],
    };
  }

  /** The worker as the matcher would have seen them at the decision, rebuilt from the log. */
  private async reconstruct(workerId: string, taskId: string, decision: DecisionRecordedData): Promise<Reconstruction> {
    const until = new Date(Date.parse(decision.decidedAt) + 1).toISOString();
    const [posted] = await this.reader.find({ taskId, types: ['TaskPosted'] }, 1);
    const history = (await this.reader.find({ workerId, types: HISTORY_TYPES, to: until })).map((e) => eventOf<HistoryEvent>(e.body));
    const [score] = await this.reader.find({ workerId, types: ['WorkerScored'], to: until }, 1, 'newest');
    const policy = await this.policies.version(decision.policy.version, decision.policy.contentHash);
    const components = score ? eventOf<WorkerScored>(score.body).data.components : null;
    const scores: Record<string, number> = components ? { quality: components.quality.value, latency: components.latency.value, availability: components.availability.value } : {};
    if (!posted) return { decisionId: decision.decisionId, registered: history.some((e) => e.type === 'WorkerRegistered'), rule: null, components: components ? scores : null };
    const rebuilt = reconstructCandidate({
      workerId,
      task: eventOf<{ data: TaskPostedData }>(posted.body).data,
      at: decision.decidedAt,
      history,
      heartbeatTtlSeconds: policy?.document.presence.heartbeatTtlSeconds ?? 90,
      lastHeartbeat: await this.presence.lastBefore(workerId, decision.decidedAt),
      scores,
    });
    return { decisionId: decision.decisionId, registered: rebuilt.registered, rule: rebuilt.rule, components: components ? scores : null };
  }
}
