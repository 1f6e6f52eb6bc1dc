import { Inject, Injectable } from '@nestjs/common';
import type { DecisionRecordedData } from '@clearwork/contracts';
import { sqlRows } from '@clearwork/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { LogAppender } from './log-appender';
import { entryFor, type LogEntryInput } from './log-entry';

interface ConsumedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly data: unknown;
}

/**
 * Turns consumed events into log entries, and keeps the query projections beside them: the
 * candidates of each decision (written in the same transaction as the decision's entry) and
 * worker presence marks. Heartbeats are liveness noise, not facts anyone disputes, so they go
 * only to presence marks, which reconstruction reads and the log does not prove.
 */
@Injectable()
export class LogRecorder {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LogAppender) private readonly appender: LogAppender,
  ) {}

  async record(source: string, events: readonly ConsumedEvent[]): Promise<void> {
    const entries: LogEntryInput[] = [];
    const beats: { workerId: string; at: string }[] = [];
    const decisions: DecisionRecordedData[] = [];
    for (const event of events) {
      if (event.type === 'WorkerHeartbeat') {
        beats.push({ workerId: (event.data as { workerId: string }).workerId, at: event.occurredAt });
        continue;
      }
      entries.push(entryFor(source, event));
      if (event.type === 'DecisionRecorded') decisions.push(event.data as DecisionRecordedData);
    }
    if (beats.length > 0) await this.markPresence(beats);
    if (entries.length === 0) return;
    await this.appender.append(entries, decisions.length > 0 ? (m, seqs) => this.recordCandidates(m, decisions, seqs) : undefined);
  }

  private async markPresence(beats: readonly { workerId: string; at: string }[]): Promise<void> {
    await sqlRows(
      this.dataSource.manager,
      `INSERT INTO audit.presence_marks (worker_id, at) SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT DO NOTHING`,
      [beats.map((b) => b.workerId), beats.map((b) => b.at)],
    );
  }

  private async recordCandidates(m: EntityManager, decisions: readonly DecisionRecordedData[], seqs: ReadonlyMap<string, number>): Promise<void> {
    const rows = decisions.flatMap((d) =>
      d.topK.map((c) => ({ d, c, seq: seqs.get(d.decisionId) ?? -1 })),
    );
    if (rows.length === 0) return;
    await sqlRows(
      m,
      `INSERT INTO audit.candidates (decision_id, worker_id, task_id, rank, selected, decided_at, seq)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bool[], $6::timestamptz[], $7::bigint[])
       ON CONFLICT DO NOTHING`,
      [
        rows.map((r) => r.d.decisionId),
        rows.map((r) => r.c.workerId),
        rows.map((r) => r.d.taskId),
        rows.map((r) => r.c.rank),
        rows.map((r) => r.c.workerId === r.d.selectedWorkerId),
        rows.map((r) => r.d.decidedAt),
        rows.map((r) => r.seq),
      ],
    );
  }
}
