import { Inject, Injectable } from '@nestjs/common';
import { csvDocument } from '@clearwork/audit-core';
import { sqlRows } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import { AppealsService } from '../appeals/appeals.service';
import type { Appeal } from '../appeals/appeal-schemas';
import { eventOf } from '../log/log-entry';
import { LogReader, type StoredEntry } from '../log/log-reader';

type Data = Record<string, unknown>;

export interface DecisionAboutWorker {
  readonly decisionId: string;
  readonly taskId: string;
  readonly decidedAt: string;
  readonly rank: number;
  readonly selected: boolean;
  readonly seq: number;
}

export interface OfferRecord {
  readonly offerId: string;
  readonly taskId: string;
  readonly decisionId: string;
  readonly offeredAt: string;
  readonly payCents: number;
  readonly currency: string;
  readonly outcome: 'assigned' | 'declined' | 'expired' | 'withdrawn' | 'open';
}

/** One score the worker had, and the event of theirs that moved it there (when it was one). */
export interface ScoreChange {
  readonly scoredAt: string;
  readonly policyVersion: number;
  readonly composite: number;
  readonly quality: number;
  readonly latency: number;
  readonly availability: number;
  /** The worker's event that caused the rescoring (a review, a submission, going online...); null for a policy change or a presence lapse. */
  readonly cause: { readonly eventId: string; readonly type: string; readonly taskId: string | null } | null;
}

/** A worker's portable record: everything the log holds about them, readable without the platform. */
export interface WorkerRecord {
  readonly workerId: string;
  readonly exportedAt: string;
  readonly offers: OfferRecord[];
  readonly assignments: { taskId: string; offerId: string; assignedAt: string; payCents: number | null; currency: string | null }[];
  readonly submissions: { taskId: string; submittedAt: string; durationSeconds: number }[];
  readonly reviews: { taskId: string; reviewedAt: string; verdict: string; quality: number | null }[];
  readonly scoreHistory: ScoreChange[];
  readonly account: { type: string; at: string; reason: string | null }[];
  readonly decisions: DecisionAboutWorker[];
  readonly appeals: Appeal[];
}

const MAX_ENTRIES = 100_000;

/**
 * The worker's own record from the log. It depends on nothing a suspension changes: a
 * suspended worker's token still reads it, and every entry stays in the log.
 */
@Injectable()
export class WorkerRecordService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LogReader) private readonly reader: LogReader,
    @Inject(AppealsService) private readonly appeals: AppealsService,
  ) {}

  async decisions(workerId: string, limit = 200): Promise<DecisionAboutWorker[]> {
    const rows = await sqlRows<{ decision_id: string; task_id: string; decided_at: Date; rank: number; selected: boolean; seq: string }>(
      this.dataSource.manager,
      `SELECT e.decision_id, e.task_id, c.decided_at, c.rank, c.selected, c.seq FROM audit.candidates c JOIN audit.entries e ON e.seq = c.seq
       WHERE c.worker_id = $1 ORDER BY c.decided_at DESC LIMIT $2`,
      [workerId, limit],
    );
    return rows.map((r) => ({ decisionId: r.decision_id, taskId: r.task_id, decidedAt: r.decided_at.toISOString(), rank: r.rank, selected: r.selected, seq: Number(r.seq) }));
  }

  async record(workerId: string, now = new Date()): Promise<WorkerRecord> {
    const entries = await this.reader.find({ workerId }, MAX_ENTRIES);
    const of = (type: string) => entries.filter((e) => e.type === type).map((e) => ({ e, d: eventOf<{ data: Data; occurredAt: string }>(e.body) }));
    const closed = new Map<string, OfferRecord['outcome']>();
    for (const [type, outcome] of [['OfferExpired', 'expired'], ['OfferWithdrawn', 'withdrawn'], ['OfferDeclined', 'declined'], ['TaskAssigned', 'assigned']] as const) {
      for (const { d } of of(type)) closed.set(String(d.data.offerId), outcome);
    }
    const offers: OfferRecord[] = of('OfferMade').map(({ d }) => ({
      offerId: String(d.data.offerId),
      taskId: String(d.data.taskId),
      decisionId: String(d.data.decisionId),
      offeredAt: d.occurredAt,
      payCents: Number(d.data.payCents),
      currency: String(d.data.currency),
      outcome: closed.get(String(d.data.offerId)) ?? 'open',
    }));
    const byOffer = new Map(offers.map((o) => [o.offerId, o]));
    const causes = new Map<string, { eventId: string; type: string; taskId: string | null }>();
    for (const e of entries) {
      const d = eventOf<{ eventId?: string; data: Data }>(e.body);
      if (typeof d.eventId === 'string') causes.set(d.eventId, { eventId: d.eventId, type: e.type, taskId: typeof d.data?.taskId === 'string' ? d.data.taskId : null });
    }
    return {
      workerId,
      exportedAt: now.toISOString(),
      offers,
      assignments: of('TaskAssigned').map(({ d }) => {
        const offer = byOffer.get(String(d.data.offerId));
        return { taskId: String(d.data.taskId), offerId: String(d.data.offerId), assignedAt: d.occurredAt, payCents: offer?.payCents ?? null, currency: offer?.currency ?? null };
      }),
      submissions: of('TaskSubmitted').map(({ d }) => ({ taskId: String(d.data.taskId), submittedAt: d.occurredAt, durationSeconds: Number(d.data.durationSeconds) })),
      reviews: of('TaskReviewed').map(({ d }) => ({ taskId: String(d.data.taskId), reviewedAt: d.occurredAt, verdict: String(d.data.verdict), quality: typeof d.data.quality === 'number' ? d.data.quality : null })),
      scoreHistory: of('WorkerScored').map(({ d }) => {
        const c = d.data.components as Record<string, { value: number }>;
        const causeId = typeof d.data.causeEventId === 'string' ? d.data.causeEventId : undefined;
        const cause = causeId ? (causes.get(causeId) ?? { eventId: causeId, type: 'unknown', taskId: null }) : null;
        return { scoredAt: String(d.data.scoredAt), policyVersion: Number(d.data.policyVersion), composite: Number(d.data.composite), quality: c.quality.value, latency: c.latency.value, availability: c.availability.value, cause };
      }),
      account: entries
        .filter((e: StoredEntry) => ['WorkerRegistered', 'WorkerProfileUpdated', 'WorkerSuspended', 'WorkerReinstated'].includes(e.type))
        .map((e) => {
          const d = eventOf<{ data: Data; occurredAt: string }>(e.body);
          return { type: e.type, at: d.occurredAt, reason: typeof d.data.reason === 'string' ? d.data.reason : null };
        }),
      decisions: await this.decisions(workerId, MAX_ENTRIES),
      appeals: await this.appeals.forWorker(workerId),
    };
  }

  /** The same record as one CSV table, a row per fact, for a spreadsheet. */
  toCsv(r: WorkerRecord): string {
    const header = ['record', 'at', 'task_id', 'decision_id', 'offer_id', 'outcome', 'pay_cents', 'currency', 'rank', 'verdict', 'quality', 'policy_version', 'composite', 'quality_score', 'latency_score', 'availability_score', 'note'];
    const row = (values: Partial<Record<(typeof header)[number], string | number | boolean | null>>) => header.map((h) => values[h] ?? null);
    return csvDocument(header, [
      ...r.offers.map((o) => row({ record: 'offer', at: o.offeredAt, task_id: o.taskId, decision_id: o.decisionId, offer_id: o.offerId, outcome: o.outcome, pay_cents: o.payCents, currency: o.currency })),
      ...r.assignments.map((a) => row({ record: 'assignment', at: a.assignedAt, task_id: a.taskId, offer_id: a.offerId, pay_cents: a.payCents, currency: a.currency })),
      ...r.submissions.map((s) => row({ record: 'submission', at: s.submittedAt, task_id: s.taskId, note: `${s.durationSeconds} s` })),
      ...r.reviews.map((v) => row({ record: 'review', at: v.reviewedAt, task_id: v.taskId, verdict: v.verdict, quality: v.quality })),
      ...r.scoreHistory.map((s) => row({ record: 'score', at: s.scoredAt, policy_version: s.policyVersion, composite: s.composite, quality_score: s.quality, latency_score: s.latency, availability_score: s.availability, task_id: s.cause?.taskId ?? null, note: s.cause ? `after ${s.cause.type}` : null })),
      ...r.account.map((a) => row({ record: 'account', at: a.at, outcome: a.type, note: a.reason })),
      ...r.decisions.map((d) => row({ record: 'decision', at: d.decidedAt, task_id: d.taskId, decision_id: d.decisionId, rank: d.rank, outcome: d.selected ? 'selected' : 'ranked' })),
      ...r.appeals.map((a) => row({ record: 'appeal', at: a.filedAt, task_id: a.taskId, decision_id: a.decisionId, outcome: a.status, note: a.resolution ? `${a.resolution.outcome}: ${a.resolution.note}` : a.statement })),
    ]);
  }
}
