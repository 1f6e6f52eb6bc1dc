import { sqlRows } from '@clearwork/platform';
import type { EntityManager } from 'typeorm';

/** A worker's score as the dispatcher keeps it: the components it ranks by, under which policy, and when scoring computed it. */
export interface ScoreUpdate {
  workerId: string;
  scores: Record<string, number>;
  policyVersion: number;
  /** `WorkerScored.scoredAt`: an older score than the one held is not applied. */
  scoredAt: string;
}

/** Profile fields a registration or update may set; absent fields are left as they are. */
export interface ProfilePatch {
  skills?: string[];
  languages?: string[];
  qualifications?: string[];
  capacity?: number;
}

/** The rows of the workers whose ids are in `$1`, locked in worker id order (the `FOR UPDATE` sits above the sort). */
const WORKERS_IN_ORDER = 'SELECT worker_id FROM dispatcher.workers WHERE worker_id = ANY($1::text[]) ORDER BY worker_id FOR UPDATE';

/**
 * A `WITH` clause `l` locking WORKERS_IN_ORDER; the update joining it changes only rows it
 * returned. Heartbeats' presence takes its locks through it, held until the worker events' unit
 * commits. It and the scores' update, each locking in the order its join happened to visit the
 * rows, deadlocked now and then under load; PostgreSQL broke each after a second by failing one
 * side, whose batch was then consumed again.
 */
const LOCK_IN_ORDER = `l AS (${WORKERS_IN_ORDER})`;

/**
 * As LOCK_IN_ORDER, passing over rows another transaction holds: a statement locking through it
 * never waits, so it cannot take part in a deadlock. The scores' update uses it (see
 * `setScoresMany`): ordered locking alone still let it hold some rows while it waited for
 * another, and a worker events' unit that locks workers' rows in two statements (registrations
 * and presence, or presence on both sides of a run's split) could then wait for one of those.
 */
const LOCK_IN_ORDER_SKIPPING = `l AS (${WORKERS_IN_ORDER} SKIP LOCKED)`;

/** The dispatcher's view of workers in PostgreSQL, shared by every dispatcher instance. */
export class WorkerRegistry {
  /** Registrations in one statement; a worker given twice keeps the later profile. */
  async registerMany(m: EntityManager, regs: readonly ({ workerId: string } & Required<ProfilePatch>)[]): Promise<void> {
    const latest = [...new Map(regs.map((r) => [r.workerId, r])).values()];
    if (latest.length === 0) return;
    await sqlRows(m,
      `INSERT INTO dispatcher.workers (worker_id, skills, languages, qualifications, capacity)
       SELECT worker_id, skills, languages, qualifications, capacity FROM json_populate_recordset(NULL::dispatcher.workers, $1::json)
       ON CONFLICT (worker_id) DO UPDATE SET skills = EXCLUDED.skills, languages = EXCLUDED.languages,
         qualifications = EXCLUDED.qualifications, capacity = EXCLUDED.capacity, updated_at = now()`,
      [JSON.stringify(latest.map((r) => ({ worker_id: r.workerId, skills: r.skills, languages: r.languages, qualifications: r.qualifications, capacity: r.capacity })))],
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

  /**
   * Presence of many workers in one statement, given in event order: each known worker takes the
   * presence of its last event and is seen at the latest of its times. A worker whose last event
   * is a heartbeat comes online only if it is newer than anything seen of them, so a heartbeat
   * applied twice, or arriving after a later WorkerWentOffline, changes nothing; heartbeats are
   * therefore not claimed (see WorkerRegistryUpdates.presenceIn). The rows are locked in worker
   * id order (see LOCK_IN_ORDER). Returns the workers that are known.
   */
  async presenceMany(m: EntityManager, events: readonly { workerId: string; online: boolean; at: string; heartbeat?: boolean }[]): Promise<Set<string>> {
    const latest = new Map<string, { online: boolean; at: string; heartbeat: boolean }>();
    for (const e of events) {
      const before = latest.get(e.workerId);
      latest.set(e.workerId, { online: e.online, at: before && Date.parse(before.at) > Date.parse(e.at) ? before.at : e.at, heartbeat: e.heartbeat ?? false });
    }
    if (latest.size === 0) return new Set();
    const ids = [...latest.keys()];
    const rows = await sqlRows<{ worker_id: string }>(m,
      `WITH ${LOCK_IN_ORDER}
       UPDATE dispatcher.workers w
         SET online = CASE WHEN u.heartbeat AND w.last_seen_at >= u.at THEN w.online ELSE u.online END,
             last_seen_at = GREATEST(w.last_seen_at, u.at), updated_at = now()
       FROM l JOIN unnest($1::text[], $2::boolean[], $3::timestamptz[], $4::boolean[]) AS u(worker_id, online, at, heartbeat) ON u.worker_id = l.worker_id
       WHERE w.worker_id = l.worker_id RETURNING w.worker_id`,
      [ids, ids.map((id) => latest.get(id)!.online), ids.map((id) => latest.get(id)!.at), ids.map((id) => latest.get(id)!.heartbeat)],
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

  /**
   * Workers' latest scores, without ever holding one worker's row while waiting for another's, so
   * it cannot deadlock with a worker events' unit: one statement for every row no other
   * transaction holds (LOCK_IN_ORDER_SKIPPING), then one statement for each row that was held (a
   * unit applying that worker's heartbeat, say, until it commits), which waits holding nothing
   * else. Unknown workers' scores change nothing.
   *
   * A score replaces the one held only if it was scored at the same time or later: scores reach
   * the dispatcher in scoring's commit order as a rule, but not always (a batch Kafka refused is
   * published by the outbox's polling seconds later, after newer scores of the same workers), and
   * the older one must not win. Of a worker given twice here, the one scored later is kept (the
   * later given when both were scored at once).
   */
  async setScoresMany(m: EntityManager, updates: readonly ScoreUpdate[]): Promise<void> {
    const latest = new Map<string, ScoreUpdate>();
    for (const u of updates) {
      const kept = latest.get(u.workerId);
      if (!kept || Date.parse(u.scoredAt) >= Date.parse(kept.scoredAt)) latest.set(u.workerId, u);
    }
    if (latest.size === 0) return;
    const rows = [...latest.values()];
    const set = await sqlRows<{ worker_id: string }>(m,
      `WITH ${LOCK_IN_ORDER_SKIPPING},
         u AS (SELECT * FROM unnest($1::text[], $2::jsonb[], $3::int[], $4::timestamptz[]) AS u(worker_id, scores, version, scored_at)),
         done AS (
           UPDATE dispatcher.workers w SET scores = u.scores, score_policy_version = u.version, scored_at = u.scored_at, updated_at = now()
           FROM l JOIN u ON u.worker_id = l.worker_id
           WHERE w.worker_id = l.worker_id AND (w.scored_at IS NULL OR w.scored_at <= u.scored_at))
       SELECT worker_id FROM dispatcher.workers WHERE worker_id = ANY($1::text[]) AND worker_id NOT IN (SELECT worker_id FROM l)`,
      [rows.map((r) => r.workerId), rows.map((r) => JSON.stringify(r.scores)), rows.map((r) => r.policyVersion), rows.map((r) => r.scoredAt)],
    );
    const held = new Set(set.map((r) => r.worker_id));
    for (const r of rows) {
      if (!held.has(r.workerId)) continue;
      await sqlRows(m,
        `UPDATE dispatcher.workers SET scores = $2, score_policy_version = $3, scored_at = $4, updated_at = now()
         WHERE worker_id = $1 AND (scored_at IS NULL OR scored_at <= $4)`,
        [r.workerId, JSON.stringify(r.scores), r.policyVersion, r.scoredAt],
      );
    }
  }
}
