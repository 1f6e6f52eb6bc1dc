import type { Candidate } from '@clearwork/matching-core';
import { sqlRows } from '@clearwork/platform';
import type { DataSource } from 'typeorm';
import { MICROS, type FeedOffer } from '../tasks/task-store';

/** A worker as a dispatch attempt sees it before Redis adds capacity in use and fresh scores. */
export type PoolMember = Omit<Candidate, 'activeTasks' | 'queueShare' | 'qualityEvidence'>;

/**
 * A worker as the index holds it: `online` is the stored flag, which lapses with `lastSeenMs`
 * (see `isOnline`). `digestHead` and `digestTail` are the parts of the worker's line in a pool
 * digest that change only with the row (see `DispatchView.sealPools`), kept so a unit does not
 * rebuild them for every member of its pool.
 */
export type IndexedWorker = PoolMember & { readonly lastSeenMs: number | null; readonly digestHead: string; readonly digestTail: string };

/** Told of the offers written since the last refresh, read in the refresh's statement (see `followOffers`). */
export interface OfferFeedListener {
  arrived(offers: readonly FeedOffer[]): void;
}

interface ChangedRow {
  xmin: string;
  /** Set on the rows of offers (see `followOffers`), null on those of workers. */
  offer_id: string | null;
  queue: string | null;
  offer_worker_id: string | null;
  at_us: string | null;
  worker_id: string | null;
  skills: string[];
  languages: string[];
  qualifications: string[];
  capacity: number;
  online: boolean;
  last_seen_at: Date | null;
  suspended: boolean;
  scores: Record<string, number>;
}

/**
 * The refresh's statement: the workers' rows and the offers written by transactions from `$1`
 * and `$2` on (snapshot xmins; `$2` null while offers are not followed). Each range is closed
 * above by the snapshot's xmax (no row it can see was written later): an open `>= $1` on a table
 * not analyzed since it grew (autovacuum off, or behind) is estimated at a third of its rows, and
 * the offers, which only grow, were read whole on every refresh (1.3–2.7 ms with 4,000 of them);
 * a closed range is estimated small and read through the index.
 */
export const CHANGES_SQL = `WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
  SELECT s.xmin::text AS xmin, NULL::text AS offer_id, NULL::text AS queue, NULL::text AS offer_worker_id, NULL::bigint AS at_us,
    w.worker_id, w.skills, w.languages, w.qualifications, w.capacity, w.online, w.last_seen_at, w.suspended, w.scores
  FROM s LEFT JOIN dispatcher.workers w ON w.changed_xid >= $1::xid8 AND w.changed_xid < pg_snapshot_xmax(pg_current_snapshot())
  UNION ALL
  SELECT s.xmin::text, o.offer_id, o.queue, o.worker_id, ${MICROS},
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM s JOIN dispatcher.offers o ON $2::xid8 IS NOT NULL AND o.created_xid >= $2::xid8 AND o.created_xid < pg_snapshot_xmax(pg_current_snapshot())`;

/**
 * The worker registry held in memory, so a dispatch attempt finds its candidates without
 * reading thousands of rows: every worker with the task's skills, not the first few thousand
 * by id. PostgreSQL stays the truth, shared by every dispatcher process; `refresh` reads only
 * the rows changed since the last one (see migration WorkerChanges1732600000000), so it costs
 * one indexed read when nothing changed. A refresh requested while another runs waits for the
 * next one, which starts after the request: whatever committed before a unit asked is seen.
 * Workers are never deleted, so a row that disappears is not looked for.
 */
export class CandidateIndex {
  private readonly workers = new Map<string, IndexedWorker>();
  private readonly bySkill = new Map<string, Set<string>>();
  /** Pools by skill set, sorted by worker id; dropped when any worker's skills change. */
  private readonly pools = new Map<string, string[]>();
  /** The xmin of the last refresh's snapshot: rows written by it or later transactions are read again. */
  private seenBefore = '0';
  /** Ids of the workers whose rows were read, in the order read; `changeLog[0]` is change number `changeLogStart`. */
  private changeLog: string[] = [];
  private changeLogStart = 0;
  /** Counts the changes that may have moved a worker into or out of a pool (a new worker, changed skills). */
  private membership = 0;
  private running?: Promise<void>;
  private next?: Promise<void>;
  private offers?: OfferFeedListener;
  /** The xmin of the last refresh's snapshot, for the offers (null until offers are followed). */
  private offersSeenBefore: string | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * From the next refresh on, the offers written since the one before are read in the same
   * statement, the way the workers' rows are (by the id of the transaction that wrote them), and
   * handed to `listener` in the order of the refreshes: one round trip for both feeds. The first
   * refresh hands none; it marks where the feed starts.
   */
  followOffers(listener: OfferFeedListener): void {
    this.offers = listener;
  }

  get size(): number {
    return this.workers.size;
  }

  /** Brings the index up to what PostgreSQL has committed by the time of the call. */
  refresh(): Promise<void> {
    if (this.next) return this.next;
    if (!this.running) return this.start();
    this.next = this.running.catch(() => undefined).then(() => {
      this.next = undefined;
      return this.start();
    });
    return this.next;
  }

  /** Changes of pool membership so far: when it moves, pools built from `members` before are out of date. */
  get membershipVersion(): number {
    return this.membership;
  }

  /** Where the change log ends: pass it to `changesSince` later. */
  get changePosition(): number {
    return this.changeLogStart + this.changeLog.length;
  }

  /**
   * The workers whose rows were read again since `position` (a worker may appear more than
   * once), and where the log ends now; undefined when changes that old are no longer kept (the
   * caller should start again from everyone).
   */
  changesSince(position: number): { ids: readonly string[]; position: number } | undefined {
    if (position < this.changeLogStart) return undefined;
    return { ids: this.changeLog.slice(position - this.changeLogStart), position: this.changePosition };
  }

  /** The worker as the index holds them, if known. */
  get(workerId: string): IndexedWorker | undefined {
    return this.workers.get(workerId);
  }

  /** Everyone with all of `skills`, ordered by worker id, as the index holds them (not copied: read only). */
  members(skills: readonly string[]): readonly IndexedWorker[] {
    return this.poolIds(skills).map((id) => this.workers.get(id)!);
  }

  private poolIds(skills: readonly string[]): string[] {
    const key = skillKey(skills);
    let ids = this.pools.get(key);
    if (ids) return ids;
    if (skills.length === 0) {
      ids = [...this.workers.keys()];
    } else {
      const sets = skills.map((s) => this.bySkill.get(s) ?? new Set<string>()).sort((a, b) => a.size - b.size);
      ids = [...sets[0]].filter((id) => sets.every((s) => s.has(id)));
    }
    ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.pools.set(key, ids);
    return ids;
  }

  private start(): Promise<void> {
    this.running = this.load().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async load(): Promise<void> {
    // One statement, so the xmin and the rows come from the same snapshot; the LEFT JOIN returns
    // the xmin even when nothing changed. Offers are the second branch, from the refresh after
    // they are followed on (until then there is no xmin to read them from).
    const rows = await sqlRows<ChangedRow>(this.dataSource.manager, CHANGES_SQL,
      [this.seenBefore, this.offersSeenBefore],
    );
    const offers: FeedOffer[] = [];
    for (const r of rows) {
      if (r.offer_id !== null) offers.push({ offerId: r.offer_id, queue: r.queue!, workerId: r.offer_worker_id!, atMicros: Number(r.at_us) });
      else if (r.worker_id !== null) this.put(r);
    }
    this.seenBefore = rows[0].xmin;
    if (this.offers) {
      this.offersSeenBefore = rows[0].xmin;
      this.offers.arrived(offers);
    }
  }

  private put(r: ChangedRow): void {
    const before = this.workers.get(r.worker_id!);
    const worker: IndexedWorker = {
      workerId: r.worker_id!,
      skills: r.skills,
      languages: r.languages,
      qualifications: r.qualifications,
      capacity: r.capacity,
      online: r.online,
      lastSeenMs: r.last_seen_at ? new Date(r.last_seen_at).getTime() : null,
      suspended: r.suspended,
      scores: r.scores,
      digestHead: `${r.worker_id}\t${r.capacity}`,
      digestTail: `${r.skills.join(',')}\t${r.languages.join(',')}\t${r.qualifications.join(',')}`,
    };
    this.workers.set(worker.workerId, worker);
    this.logChange(worker.workerId);
    if (before && sameSkills(before.skills, worker.skills)) return;
    this.membership++;
    for (const s of before?.skills ?? []) this.bySkill.get(s)?.delete(worker.workerId);
    for (const s of worker.skills) {
      let set = this.bySkill.get(s);
      if (!set) this.bySkill.set(s, (set = new Set()));
      set.add(worker.workerId);
    }
    this.pools.clear();
  }

  private logChange(workerId: string): void {
    this.changeLog.push(workerId);
    if (this.changeLog.length > MAX_CHANGES_KEPT) {
      const dropped = this.changeLog.length - MAX_CHANGES_KEPT / 2;
      this.changeLog = this.changeLog.slice(dropped);
      this.changeLogStart += dropped;
    }
  }
}

/** Changes the index keeps for `changesSince` (about ten minutes of heartbeats from 20,000 workers); half are dropped when it fills. */
const MAX_CHANGES_KEPT = 200_000;

/** The key of a skill set's pool: the same whatever the order of the skills. */
export function skillKey(skills: readonly string[]): string {
  return JSON.stringify([...skills].sort());
}

/** Present at `now`: marked online, with a heartbeat within `heartbeatTtlSeconds`. */
export function isOnline(w: IndexedWorker, now: Date, heartbeatTtlSeconds: number): boolean {
  return w.online && w.lastSeenMs !== null && w.lastSeenMs >= now.getTime() - heartbeatTtlSeconds * 1000;
}

function sameSkills(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
