import { Inject, Injectable } from '@nestjs/common';
import type { DecisionEvent, DecisionRecordedData, OfferEvent } from '@clearwork/contracts';
import { sqlRows } from '@clearwork/platform';
import { DataSource } from 'typeorm';

type LoggedEvent = DecisionEvent | OfferEvent;

/** Appends consumed events to the log once each, and reads them back by task and worker. */
@Injectable()
export class DecisionLog {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Idempotent by eventId: a redelivered event adds nothing. */
  async append(topic: string, event: LoggedEvent): Promise<void> {
    const data = event.data as { taskId?: string; workerId?: string; decisionId?: string; selectedWorkerId?: string | null };
    await sqlRows(this.dataSource.manager, 
      `INSERT INTO audit.entries (event_id, topic, type, task_id, worker_id, decision_id, event)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
      [event.eventId, topic, event.type, data.taskId ?? null, data.workerId ?? data.selectedWorkerId ?? null, data.decisionId ?? null, JSON.stringify(event)],
    );
  }

  async decisionsFor(taskId: string): Promise<DecisionRecordedData[]> {
    const rows: { event: { data: DecisionRecordedData } }[] = await sqlRows(this.dataSource.manager, 
      `SELECT event FROM audit.entries WHERE task_id = $1 AND type = 'DecisionRecorded' ORDER BY seq`,
      [taskId],
    );
    return rows.map((r) => r.event.data);
  }

  async offerTypesFor(taskId: string, workerId: string): Promise<Set<string>> {
    const rows: { type: string }[] = await sqlRows(this.dataSource.manager, 
      `SELECT DISTINCT type FROM audit.entries WHERE task_id = $1 AND worker_id = $2 AND topic = 'gig.offers.v1'`,
      [taskId, workerId],
    );
    return new Set(rows.map((r) => r.type));
  }
}
