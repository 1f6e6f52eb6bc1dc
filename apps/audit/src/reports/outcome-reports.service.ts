import { Inject, Injectable } from '@nestjs/common';
import { outcomeReport, type OutcomeReport } from '@clearwork/audit-core';
import { sqlRows } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import { RecordedPolicies } from '../policies/recorded-policies';
import { activeSeconds, workerOutcomes } from './outcome-facts';

const counts = (rows: { worker_id: string; n: string }[]) => new Map(rows.map((r) => [r.worker_id, Number(r.n)]));

/**
 * Outcome reports per cohort attribute over a period, aggregated from the log. Cohorts are
 * read only here: scoring and dispatch never see them.
 */
@Injectable()
export class OutcomeReportsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RecordedPolicies) private readonly policies: RecordedPolicies,
  ) {}

  async report(attribute: string, from: string, to: string): Promise<OutcomeReport> {
    const m = this.dataSource.manager;
    const period = [from, to];
    const byType = (type: string) =>
      sqlRows<{ worker_id: string; n: string }>(m, `SELECT worker_id, count(*) AS n FROM audit.entries WHERE type = $3 AND occurred_at >= $1 AND occurred_at < $2 AND worker_id IS NOT NULL GROUP BY worker_id`, [...period, type]);
    const candidacies = counts(await sqlRows(m, `SELECT worker_id, count(*) AS n FROM audit.candidates WHERE decided_at >= $1 AND decided_at < $2 GROUP BY worker_id`, period));
    const offers = counts(await byType('OfferMade'));
    const assignments = counts(await byType('TaskAssigned'));
    const pay = counts(
      await sqlRows(
        m,
        `SELECT a.worker_id, sum((o.body::jsonb #>> '{event,data,payCents}')::bigint) AS n
         FROM audit.entries a JOIN audit.entries o
           ON o.type = 'OfferMade' AND o.task_id = a.task_id AND o.worker_id = a.worker_id
          AND o.body::jsonb #>> '{event,data,offerId}' = a.body::jsonb #>> '{event,data,offerId}'
         WHERE a.type = 'TaskAssigned' AND a.occurred_at >= $1 AND a.occurred_at < $2 GROUP BY a.worker_id`,
        period,
      ),
    );
    const reviewsBefore = counts(await sqlRows(m, `SELECT worker_id, count(*) AS n FROM audit.entries WHERE type = 'TaskReviewed' AND occurred_at < $1 GROUP BY worker_id`, [from]));
    const presence = await sqlRows<{ worker_id: string; type: string; occurred_at: Date }>(
      m,
      `SELECT worker_id, type, occurred_at FROM audit.entries WHERE type IN ('WorkerWentOnline', 'WorkerWentOffline') AND occurred_at < $1`,
      [to],
    );
    const active = activeSeconds(presence.map((p) => ({ workerId: p.worker_id, online: p.type === 'WorkerWentOnline', at: p.occurred_at.getTime() })), Date.parse(from), Math.min(Date.parse(to), Date.now()));
    const profiles = await sqlRows<{ worker_id: string; cohort: Record<string, string> | null }>(
      m,
      `SELECT worker_id, body::jsonb #> '{event,data,cohort}' AS cohort FROM audit.entries
       WHERE type IN ('WorkerRegistered', 'WorkerProfileUpdated') AND occurred_at < $1 ORDER BY seq`,
      [to],
    );
    const cohorts = new Map<string, Record<string, string>>();
    for (const p of profiles) if (p.cohort) cohorts.set(p.worker_id, p.cohort);
    const policies = await this.policies.all();
    const newcomerMaxReviews = policies.at(-1)?.document.fairness.newcomerMaxReviews ?? 5;
    const workers = new Set([...candidacies.keys(), ...offers.keys(), ...assignments.keys(), ...active.keys()]);
    const rows = workerOutcomes({ workers, group: (w) => cohorts.get(w)?.[attribute] ?? null, candidacies, offers, assignments, pay, active, reviewsBefore, newcomerMaxReviews });
    return outcomeReport(rows, { attribute, from, to });
  }
}
