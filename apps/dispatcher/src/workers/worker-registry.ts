import { sqlRows } from '@clearwork/platform';
import type { EntityManager } from 'typeorm';

/** Profile fields a registration or update may set; absent fields are left as they are. */
export interface ProfilePatch {
  skills?: string[];
  languages?: string[];
  qualifications?: string[];
  capacity?: number;
}

/** The dispatcher's view of workers in PostgreSQL, shared by every dispatcher instance. */
export class WorkerRegistry {
  async register(m: EntityManager, workerId: string, p: Required<ProfilePatch>): Promise<void> {
    await sqlRows(m, 
      `INSERT INTO dispatcher.workers (worker_id, skills, languages, qualifications, capacity)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (worker_id) DO UPDATE SET skills = $2, languages = $3, qualifications = $4, capacity = $5, updated_at = now()`,
      [workerId, p.skills, p.languages, p.qualifications, p.capacity],
    );
  }

  /** Returns false when the worker is unknown. */
  async update(m: EntityManager, workerId: string, p: ProfilePatch): Promise<boolean> {
    const rows: unknown[] = await sqlRows(m, 
      `UPDATE dispatcher.workers SET skills = COALESCE($2, skills), languages = COALESCE($3, languages),
         qualifications = COALESCE($4, qualifications), capacity = COALESCE($5, capacity), updated_at = now()
       WHERE worker_id = $1 RETURNING worker_id`,
      [workerId, p.skills ?? null, p.languages ?? null, p.qualifications ?? null, p.capacity ?? null],
    );
    return rows.length > 0;
  }

  async setPresence(m: EntityManager, workerId: string, online: boolean, at: string): Promise<boolean> {
    const rows: unknown[] = await sqlRows(m, 
      `UPDATE dispatcher.workers SET online = $2, last_seen_at = GREATEST(last_seen_at, $3::timestamptz), updated_at = now()
       WHERE worker_id = $1 RETURNING worker_id`,
      [workerId, online, at],
    );
    return rows.length > 0;
  }

  /**
   * Heartbeats of many workers in one statement: each known worker is online and seen at the
   * latest of its times. Returns the workers that are known.
   */
  async seenMany(m: EntityManager, beats: readonly { workerId: string; at: string }[]): Promise<Set<string>> {
    if (beats.length === 0) return new Set();
    const rows = await sqlRows<{ worker_id: string }>(m,
      `UPDATE dispatcher.workers w SET online = true, last_seen_at = GREATEST(w.last_seen_at, b.at), updated_at = now()
       FROM (SELECT worker_id, max(at) AS at FROM unnest($1::text[], $2::timestamptz[]) AS u(worker_id, at) GROUP BY worker_id) b
       WHERE w.worker_id = b.worker_id RETURNING w.worker_id`,
      [beats.map((b) => b.workerId), beats.map((b) => b.at)],
    );
    return new Set(rows.map((r) => r.worker_id));
  }

  async setSuspended(m: EntityManager, workerId: string, suspended: boolean): Promise<boolean> {
    const rows: unknown[] = await sqlRows(m, 
      `UPDATE dispatcher.workers SET suspended = $2, updated_at = now() WHERE worker_id = $1 RETURNING worker_id`,
      [workerId, suspended],
    );
    return rows.length > 0;
  }

  /** Workers' latest scores, in one statement; a worker given twice keeps the later. */
  async setScoresMany(m: EntityManager, updates: readonly { workerId: string; scores: Record<string, number>; policyVersion: number }[]): Promise<void> {
    const latest = new Map(updates.map((u) => [u.workerId, u]));
    if (latest.size === 0) return;
    const rows = [...latest.values()];
    await sqlRows(m,
      `UPDATE dispatcher.workers w SET scores = u.scores, score_policy_version = u.version, updated_at = now()
       FROM unnest($1::text[], $2::jsonb[], $3::int[]) AS u(worker_id, scores, version) WHERE w.worker_id = u.worker_id`,
      [rows.map((r) => r.workerId), rows.map((r) => JSON.stringify(r.scores)), rows.map((r) => r.policyVersion)],
    );
  }

  async capacityOf(m: EntityManager, workerId: string): Promise<number | undefined> {
    const rows: { capacity: number }[] = await sqlRows(m, `SELECT capacity FROM dispatcher.workers WHERE worker_id = $1`, [workerId]);
    return rows[0]?.capacity;
  }
}
