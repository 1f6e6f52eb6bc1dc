import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TOPICS, type WorkerEvent, type WorkerScored } from '@clearwork/contracts';
import { DEFAULT_POLICY } from '@clearwork/scoring-core';
import { claimEvent, enqueue, OutboxRelay, sqlRows } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../config';

/** A newcomer's score: the middle of the scale with the widest uncertainty, until evidence arrives. */
function initialScore(workerId: string, causeEventId: string, now: Date): WorkerScored {
  const neutral = { value: 0.5, uncertainty: 0.5, evidence: 0 };
  return {
    eventId: randomUUID(),
    type: 'WorkerScored',
    occurredAt: now.toISOString(),
    data: {
      workerId,
      policyVersion: DEFAULT_POLICY.version,
      components: { quality: neutral, latency: neutral, availability: neutral },
      composite: 0.5,
      causeEventId,
      scoredAt: now.toISOString(),
    },
  };
}

/** Keeps each worker's profile and presence, and publishes their score. */
@Injectable()
export class WorkerProfiles {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
  ) {}

  async apply(event: WorkerEvent, now = new Date()): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      if (!(await claimEvent(m, SCHEMA, event.eventId, event.type))) return;
      const { workerId } = event.data;
      switch (event.type) {
        case 'WorkerRegistered': {
          const { workerId: _id, ...profile } = event.data;
          await sqlRows(m, 
            `INSERT INTO scoring.workers (worker_id, profile, registered_at) VALUES ($1, $2, $3)
             ON CONFLICT (worker_id) DO UPDATE SET profile = $2, updated_at = now()`,
            [workerId, JSON.stringify(profile), event.occurredAt],
          );
          await enqueue(m, SCHEMA, [{ topic: TOPICS.workerScores, key: workerId, value: initialScore(workerId, event.eventId, now) }]);
          return;
        }
        case 'WorkerWentOnline':
        case 'WorkerHeartbeat':
        case 'WorkerWentOffline':
          await sqlRows(m, 
            `UPDATE scoring.workers SET online = $2, last_seen_at = GREATEST(last_seen_at, $3::timestamptz), updated_at = now() WHERE worker_id = $1`,
            [workerId, event.type !== 'WorkerWentOffline', event.occurredAt],
          );
          return;
        default:
          // Evidence for the score components is applied under the published policy.
          return;
      }
    });
    this.relay.kick();
  }
}
