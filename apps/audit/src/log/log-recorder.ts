import { Inject, Injectable } from '@nestjs/common';
import type { DecisionRecordedData } from '@clearwork/contracts';
import { copyRows, inTurn, insertRows, isUniqueViolation, pauseIfDue } from '@clearwork/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { LogAppender } from './log-appender';
import { entryFor, type LogEntryInput } from './log-entry';
import { PresenceMarks, type PresenceMark } from './presence-marks';

/** A decision's id and task are its log entry's (`seq`): the rows do not repeat them. */
const CANDIDATE_COLUMNS = ['worker_id', 'rank', 'selected', 'decided_at', 'seq'];

interface ConsumedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly data: unknown;
}

/**
 * Turns consumed events into log entries, and keeps the query projections beside them: the
 * candidates of each decision (written once the decision's entry is committed) and
 * worker presence marks. Heartbeats are liveness noise, not facts anyone disputes, so they go
 * only to presence marks, which reconstruction reads and the log does not prove.
 */
@Injectable()
export class LogRecorder {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LogAppender) private readonly appender: LogAppender,
    @Inject(PresenceMarks) private readonly presence: PresenceMarks,
  ) {}

  async record(source: string, events: readonly ConsumedEvent[]): Promise<void> {
    const entries: LogEntryInput[] = [];
    const beats: PresenceMark[] = [];
    const decisions: { eventId: string; data: DecisionRecordedData }[] = [];
    // Canonical JSON for thousands of events is a long synchronous stretch: it takes its turn.
    await inTurn(async () => {
      for (const event of events) {
        await pauseIfDue();
        if (event.type === 'WorkerHeartbeat') {
          beats.push({ workerId: (event.data as { workerId: string }).workerId, at: event.occurredAt });
          continue;
        }
        entries.push(entryFor(source, event));
        if (event.type === 'DecisionRecorded') decisions.push({ eventId: event.eventId, data: event.data as DecisionRecordedData });
      }
    });
    await this.presence.mark(beats);
    if (entries.length === 0) return;
    const seqs = await this.appender.append(entries);
    // Outside the log's transaction, so the next group commit need not wait for it. A crash in
    // between redelivers the batch: the entries are found already logged and this runs again.
    if (decisions.length > 0) await this.recordCandidates(this.dataSource.manager, decisions, seqs);
  }

  /**
   * `seqs` maps each entry id (the event's eventId) to its position in the log. Nearly always the
   * rows are new, and COPY writes them fastest; COPY has no ON CONFLICT, so when one is already
   * there (a redelivered decision, or a malformed one with a worker twice in its top-K) the lot
   * goes again through INSERT … ON CONFLICT DO NOTHING, and nothing blocks. Rows are keyed by the
   * worker and the decision's time and entry (see migration CandidatesByWorker1732700000000),
   * so an entry that reuses another's decision id keeps its own candidates.
   */
  private async recordCandidates(m: EntityManager, decisions: readonly { eventId: string; data: DecisionRecordedData }[], seqs: ReadonlyMap<string, number>): Promise<void> {
    const rows: unknown[][] = [];
    for (const { eventId, data: d } of decisions) {
      for (const c of d.topK) rows.push([c.workerId, c.rank, c.workerId === d.selectedWorkerId, d.decidedAt, seqs.get(eventId)!]);
    }
    try {
      await copyRows(m, 'audit.candidates', CANDIDATE_COLUMNS, rows);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await insertRows(m, 'audit.candidates', CANDIDATE_COLUMNS, rows, 'ON CONFLICT DO NOTHING');
    }
  }
}
