import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { sqlRows, timeOrderedId } from '@clearwork/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { LogAppender } from '../log/log-appender';
import { entryFor } from '../log/log-entry';
import { LogReader } from '../log/log-reader';
import type { Appeal, AppealResolution, AppealStatus } from './appeal-schemas';

/** Where review steps are recorded in the log. */
export const APPEALS_SOURCE = 'audit.appeals';

interface AppealRow {
  appeal_id: string;
  decision_id: string;
  task_id: string;
  worker_id: string;
  status: AppealStatus;
  statement: string;
  reviewer: string | null;
  resolution: Appeal['resolution'];
  filed_at: Date;
  updated_at: Date;
}

/**
 * Human review of decisions: a worker files an appeal, a reviewer takes it and resolves it.
 * Every step is a log entry (so the review itself is tamper-evident) written in the same
 * transaction as the appeal's current state; a step that is no longer allowed (a second
 * reviewer taking a taken appeal) is refused and leaves no entry.
 */
@Injectable()
export class AppealsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LogAppender) private readonly appender: LogAppender,
    @Inject(LogReader) private readonly reader: LogReader,
  ) {}

  async file(workerId: string, decisionId: string, statement: string, now = new Date()): Promise<Appeal> {
    const [decision] = await this.reader.find({ decisionId, types: ['DecisionRecorded'] }, 1);
    if (!decision) throw new NotFoundException(`no decision ${decisionId} is recorded`);
    const appealId = timeOrderedId();
    const data = { appealId, decisionId, taskId: decision.taskId!, workerId, statement };
    await this.step('AppealFiled', data, now, async (m) => {
      const open = await sqlRows(m, `SELECT 1 FROM audit.appeals WHERE worker_id = $1 AND decision_id = $2 AND status <> 'resolved'`, [workerId, decisionId]);
      if (open.length > 0) throw new ConflictException('you already have an open appeal of this decision');
      await sqlRows(
        m,
        `INSERT INTO audit.appeals (appeal_id, decision_id, task_id, worker_id, status, statement, filed_at, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $6)`,
        [appealId, decisionId, data.taskId, workerId, statement, now.toISOString()],
      );
    });
    return (await this.get(appealId))!;
  }

  async take(appealId: string, reviewer: string, now = new Date()): Promise<Appeal> {
    const appeal = await this.require(appealId);
    await this.step('AppealTaken', { appealId, decisionId: appeal.decisionId, taskId: appeal.taskId, workerId: appeal.workerId, reviewer }, now, (m) =>
      this.transition(m, appealId, ['open'], 'in_review', reviewer, null, now, 'it has already been taken or resolved'),
    );
    return (await this.get(appealId))!;
  }

  async resolve(appealId: string, reviewer: string, resolution: AppealResolution, now = new Date()): Promise<Appeal> {
    const appeal = await this.require(appealId);
    const resolved = { ...resolution, resolvedAt: now.toISOString() };
    await this.step('AppealResolved', { appealId, decisionId: appeal.decisionId, taskId: appeal.taskId, workerId: appeal.workerId, reviewer, ...resolution }, now, (m) =>
      this.transition(m, appealId, ['open', 'in_review'], 'resolved', reviewer, resolved, now, 'it is already resolved', appeal.status === 'in_review' ? reviewer : null),
    );
    return (await this.get(appealId))!;
  }

  async list(status: AppealStatus | undefined, limit: number): Promise<Appeal[]> {
    const rows = await sqlRows<AppealRow>(
      this.dataSource.manager,
      `SELECT * FROM audit.appeals WHERE ($1::text IS NULL OR status = $1) ORDER BY filed_at LIMIT $2`,
      [status ?? null, limit],
    );
    return rows.map(toAppeal);
  }

  async forWorker(workerId: string, decisionId?: string): Promise<Appeal[]> {
    const rows = await sqlRows<AppealRow>(
      this.dataSource.manager,
      `SELECT * FROM audit.appeals WHERE worker_id = $1 AND ($2::text IS NULL OR decision_id = $2) ORDER BY filed_at`,
      [workerId, decisionId ?? null],
    );
    return rows.map(toAppeal);
  }

  async get(appealId: string): Promise<Appeal | null> {
    const [row] = await sqlRows<AppealRow>(this.dataSource.manager, `SELECT * FROM audit.appeals WHERE appeal_id = $1`, [appealId]);
    return row ? toAppeal(row) : null;
  }

  private async require(appealId: string): Promise<Appeal> {
    const appeal = await this.get(appealId);
    if (!appeal) throw new NotFoundException(`no appeal ${appealId}`);
    return appeal;
  }

  private async step(type: string, data: Record<string, unknown>, now: Date, apply: (m: EntityManager) => Promise<void>): Promise<void> {
    const entry = entryFor(APPEALS_SOURCE, { eventId: timeOrderedId(), type, occurredAt: now.toISOString(), data });
    await this.appender.append([entry], apply, { alone: true });
  }

  private async transition(m: EntityManager, appealId: string, from: AppealStatus[], to: AppealStatus, reviewer: string, resolution: unknown, now: Date, refusal: string, mustBeReviewer: string | null = null): Promise<void> {
    const rows = await sqlRows(
      m,
      `UPDATE audit.appeals SET status = $3, reviewer = $4, resolution = COALESCE($5::jsonb, resolution), updated_at = $6
       WHERE appeal_id = $1 AND status = ANY($2::text[]) AND ($7::text IS NULL OR reviewer = $7) RETURNING appeal_id`,
      [appealId, from, to, reviewer, resolution === null ? null : JSON.stringify(resolution), now.toISOString(), mustBeReviewer],
    );
    if (rows.length === 0) throw new ConflictException(`appeal ${appealId} cannot move to ${to}: ${refusal}, or another reviewer holds it`);
  }
}

function toAppeal(r: AppealRow): Appeal {
  return {
    appealId: r.appeal_id,
    decisionId: r.decision_id,
    taskId: r.task_id,
    workerId: r.worker_id,
    status: r.status,
    statement: r.statement,
    reviewer: r.reviewer,
    resolution: r.resolution,
    filedAt: r.filed_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
