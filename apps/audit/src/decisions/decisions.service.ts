import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { DecisionRecordedData } from '@clearwork/contracts';
import { replayDecision, type ReplayResult } from '@clearwork/matching-core';
import { sqlRows } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import { eventOf } from '../log/log-entry';
import { LogProofs } from '../log/log-proofs';
import { LogReader } from '../log/log-reader';
import { RecordedPolicies } from '../policies/recorded-policies';

export interface DecisionSearch {
  readonly taskId?: string;
  readonly workerId?: string;
  readonly policyVersion?: number;
  readonly mode?: 'online' | 'batch';
  readonly selected?: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
}

/** Auditors' view of decisions: search, the full record with its proof, and replay. */
@Injectable()
export class DecisionsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LogReader) private readonly reader: LogReader,
    @Inject(LogProofs) private readonly proofs: LogProofs,
    @Inject(RecordedPolicies) private readonly policies: RecordedPolicies,
  ) {}

  async search(q: DecisionSearch) {
    const params: unknown[] = [q.taskId ?? null, q.workerId ?? null, q.from ?? null, q.to ?? null, q.limit];
    const rows = await sqlRows<{ seq: string; body: string }>(
      this.dataSource.manager,
      `SELECT e.seq, e.body FROM audit.entries e
       WHERE e.type = 'DecisionRecorded'
         AND ($1::text IS NULL OR e.task_id = $1)
         AND ($2::text IS NULL OR e.seq IN (SELECT seq FROM audit.candidates WHERE worker_id = $2))
         AND ($3::timestamptz IS NULL OR e.occurred_at >= $3)
         AND ($4::timestamptz IS NULL OR e.occurred_at < $4)
       ORDER BY e.seq DESC LIMIT $5`,
      params,
    );
    const decisions = rows
      .map((r) => ({ seq: Number(r.seq), decision: eventOf<{ data: DecisionRecordedData }>(r.body).data }))
      .filter(({ decision: d }) => (q.policyVersion === undefined || d.policy.version === q.policyVersion) && (q.mode === undefined || d.mode === q.mode) && (q.selected === undefined || (d.selectedWorkerId !== null) === q.selected));
    return decisions.map(({ seq, decision: d }) => ({
      seq,
      decisionId: d.decisionId,
      taskId: d.taskId,
      replica: d.replica,
      attempt: d.attempt,
      decidedAt: d.decidedAt,
      mode: d.mode,
      policy: d.policy,
      poolSize: d.poolSize,
      candidates: d.topK.length,
      selectedWorkerId: d.selectedWorkerId,
      summary: d.summary,
    }));
  }

  async get(decisionId: string) {
    const entry = await this.entry(decisionId);
    const related = await this.reader.find({ decisionId });
    return {
      seq: entry.seq,
      decision: eventOf<{ data: DecisionRecordedData }>(entry.body).data,
      offers: related.filter((e) => e.seq !== entry.seq).map((e) => ({ seq: e.seq, type: e.type, workerId: e.workerId, occurredAt: e.occurredAt })),
      proof: await this.proofs.inclusion(entry.seq),
    };
  }

  async replay(decisionId: string): Promise<ReplayResult & { decisionId: string; policyVersion: number; policyFound: boolean }> {
    const entry = await this.entry(decisionId);
    const decision = eventOf<{ data: DecisionRecordedData }>(entry.body).data;
    const policy = await this.policies.version(decision.policy.version, decision.policy.contentHash);
    if (!policy) {
      return {
        decisionId, policyVersion: decision.policy.version, policyFound: false, identical: false, recomputed: [], notes: [],
        differences: [{ path: 'policy', recorded: decision.policy, recomputed: `policy version ${decision.policy.version} is not in the log` }],
      };
    }
    const result = replayDecision(decision, policy.document.weights);
    const differences = [...result.differences];
    if (policy.contentHash !== decision.policy.contentHash) differences.push({ path: 'policy.contentHash', recorded: decision.policy.contentHash, recomputed: policy.contentHash });
    return { decisionId, policyVersion: policy.version, policyFound: true, ...result, differences, identical: differences.length === 0 };
  }

  private async entry(decisionId: string) {
    const [entry] = await this.reader.find({ decisionId, types: ['DecisionRecorded'] }, 1);
    if (!entry) throw new NotFoundException(`no decision ${decisionId} is recorded`);
    return entry;
  }
}
