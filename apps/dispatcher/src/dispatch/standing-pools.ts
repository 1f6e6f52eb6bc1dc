import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CachedScore } from '@clearwork/contracts';
import type { Candidate } from '@clearwork/matching-core';
import { isOnline, skillKey, type CandidateIndex, type IndexedWorker } from '../workers/candidate-index';
import type { CapacityLedger } from './capacity-ledger';
import type { HotState, HotStateReader } from './worker-hot-state';

/**
 * A skill set's pool as units see it: never changed once handed out (a change makes a new one),
 * so a unit's decisions all see the pool its digest describes.
 */
export interface Pool {
  /** Everyone with the skills, ordered by worker id. */
  readonly members: readonly Candidate[];
  /** Each member's place in `members`. */
  readonly positions: ReadonlyMap<string, number>;
  /**
   * SHA-256 over the members' line hashes, in order: each line hash is SHA-256 of one line of
   * every field the rules and scores read (see `lineOf`).
   */
  readonly digest: string;
  /**
   * The positions whose candidate may differ in this pool from `older`, an earlier version of it
   * (without duplicates; more than changed is harmless); undefined when that is not known (another
   * build of the pool, or copies too far apart), and the two must be compared member by member.
   */
  readonly replacedSince?: (older: Pool) => readonly number[] | undefined;
}

/**
 * What each copy of one build of a pool replaced: `changes[k]` holds the positions that copy
 * number `first + k + 1` replaced in copy `first + k` (the build is copy 0). Shared by the copies.
 */
interface PoolHistory {
  first: number;
  changes: (readonly number[])[];
}

interface BuiltPool extends Pool {
  readonly members: Candidate[];
  /** The members' line hashes, 32 bytes each, in order. */
  readonly lines: Buffer;
  readonly history: PoolHistory;
  /** Which copy of its build this is (0: the build). */
  readonly copy: number;
}

/** Copies of a pool whose replaced positions are kept; a version older than that is compared member by member. */
const COPIES_KEPT = 512;

/** One worker as the pools hold them, with what Redis said of them when last read. */
interface Standing {
  source: IndexedWorker;
  active: number;
  score: CachedScore | undefined;
  candidate: Candidate;
  /** The line its pools' digests hold (see `lineOf`), and its hash. */
  text: string;
  line: Buffer;
  /** Keys of the pools holding them. */
  readonly pools: Set<string>;
}

/**
 * How long a worker's capacity in use and cached score may go unread, unless this process changed
 * them: each unit reads a share of everyone, in turn (DISPATCHER_HOT_STATE_MAX_AGE_MS). Reading
 * everyone every second was a fifth of the dispatcher's busy time with 20,000 workers.
 */
export const HOT_STATE_MAX_AGE_MS = 5_000;

/**
 * The share of workers due for reading is read at the end of a unit, for the next one: units
 * then wait for Redis only for what their own process changed and Redis did not count for it (a
 * refused claim). A read older than this share of `maxAgeMs` when the next unit comes (units
 * are far apart) is made again in that unit instead, so none goes unread much longer than
 * `maxAgeMs`.
 */
const AHEAD_SHARE = 0.2;

/**
 * The candidates of every pool a dispatcher has ranked, kept between units instead of rebuilt
 * for each: with 20,000 workers a unit used to read thousands of counters and scores from Redis
 * and hash thousands of lines before its first decision.
 *
 * Each unit first brings them up to date: workers whose row the candidate index read again
 * (profile, presence, scores in PostgreSQL), workers whose capacity counter this process changed
 * (its claims and releases, at the count the script answered; read again where it gave none),
 * workers whose heartbeat lapsed since, and a share of everyone's counters and scores, read
 * ahead by the unit before (AHEAD_SHARE), so that none goes unread much longer than
 * `maxAgeMs`. Only what another process changed in Redis (another dispatcher's claims, a new
 * score) can be seen that late; a claim is checked by Redis itself, so a stale count can cost a
 * refused claim, never a worker over capacity. A changed worker's pools are marked, and a
 * marked pool is copied with its changes, and its digest computed again from the members' line
 * hashes, when a unit next asks for it: a worker sits in many pools, and a unit ranks in one or
 * two of them (copying every pool of every changed worker, each unit copied some 25,000 members
 * with 20,000 workers).
 */
export class StandingPools {
  private readonly workers = new Map<string, Standing>();
  private built = new Map<string, BuiltPool>();
  /** Per pool key, the held workers whose line changed since that pool was last made. */
  private readonly marked = new Map<string, Set<string>>();
  /** Every worker held, for reading their hot state in turn. */
  private readonly order: string[] = [];
  private cursor = 0;
  private sweptAt = -Infinity;
  private membership: number;
  private position: number;
  /** The latest `now` a unit brought: presence lapses with it. */
  private clockMs = -Infinity;
  private ttlSeconds = NaN;
  /** When the next heartbeat of a worker held as online lapses. */
  private nextLapseMs = -Infinity;
  private queue: Promise<unknown> = Promise.resolve();
  /** The read of the next share of workers, sent at the end of the last unit. */
  private ahead?: { readonly ids: readonly string[]; readonly sentAt: number; readonly read: Promise<HotState | undefined> };

  constructor(
    private readonly index: CandidateIndex,
    private readonly hot: HotStateReader,
    private readonly ledger: CapacityLedger,
    private readonly maxAgeMs = HOT_STATE_MAX_AGE_MS,
  ) {
    this.membership = index.membershipVersion;
    this.position = index.changePosition;
  }

  /** The pools of these skill sets, brought up to date first. One caller at a time goes through. */
  pools(skillSets: readonly (readonly string[])[], now: Date, heartbeatTtlSeconds: number): Promise<Map<string, Pool>> {
    const run = this.queue.then(() => this.update(skillSets, now, heartbeatTtlSeconds));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async update(skillSets: readonly (readonly string[])[], now: Date, ttlSeconds: number): Promise<Map<string, Pool>> {
    await this.catchUp(now.getTime(), ttlSeconds);
    const keys = new Map(skillSets.map((s) => [skillKey(s), s] as const));
    const missing = [...keys].filter(([key]) => !this.built.has(key));
    if (missing.length > 0) await this.build(missing);
    for (const key of keys.keys()) this.applyMarks(key);
    return new Map([...keys.keys()].map((key) => [key, this.built.get(key)!]));
  }

  /** Makes the pool of `key` again with the changes marked on it, if any: a copy, so the pool units hold stays as it was. */
  private applyMarks(key: string): void {
    const ids = this.marked.get(key);
    if (!ids) return;
    this.marked.delete(key);
    const before = this.built.get(key)!;
    const members = before.members.slice();
    const lines = Buffer.from(before.lines);
    const replaced: number[] = [];
    for (const id of ids) {
      const s = this.workers.get(id)!;
      const at = before.positions.get(id)!;
      members[at] = s.candidate;
      s.line.copy(lines, at * 32);
      replaced.push(at);
    }
    const { history } = before;
    history.changes.push(replaced);
    if (history.changes.length > COPIES_KEPT) {
      const dropped = history.changes.length - COPIES_KEPT / 2;
      history.changes = history.changes.slice(dropped);
      history.first += dropped;
    }
    this.built.set(key, builtPool(members, before.positions, lines, history, before.copy + 1));
  }

  /** Applies what changed since the last unit to the workers held, marking the pools that hold those who changed (see applyMarks). */
  private async catchUp(nowMs: number, ttlSeconds: number): Promise<void> {
    const changed = new Set<string>();
    const log = this.index.changesSince(this.position);
    if (log) {
      for (const id of log.ids) if (this.workers.has(id)) changed.add(id);
      this.position = log.position;
    } else {
      for (const id of this.workers.keys()) changed.add(id);
      this.position = this.index.changePosition;
    }
    if (this.index.membershipVersion !== this.membership) {
      // Someone joined or changed skills: pools are built again, from the workers held.
      this.membership = this.index.membershipVersion;
      this.built = new Map();
      this.marked.clear();
      for (const s of this.workers.values()) s.pools.clear();
    }
    for (const id of changed) this.workers.get(id)!.source = this.index.get(id) ?? this.workers.get(id)!.source;

    const take = (id: string, active: number, score: CachedScore | undefined) => {
      const s = this.workers.get(id)!;
      if (active === s.active && score === s.score) return;
      s.active = active;
      s.score = score;
      changed.add(id);
    };
    // The share read ahead at the end of the last unit, if it is recent enough; else read now.
    const ahead = this.ahead;
    this.ahead = undefined;
    const swept = ahead && performance.now() - ahead.sentAt <= this.maxAgeMs * AHEAD_SHARE ? await ahead.read : undefined;
    const reread = new Set<string>(swept ? [] : [...(ahead?.ids ?? []), ...this.dueForReading()]);
    if (swept) for (const id of ahead!.ids) take(id, swept.active.get(id) ?? 0, swept.scores.get(id));
    // Then this process's own changes: every claim or release answered after that read was sent
    // (or the last unit took its changes, before) is among them, and counts over what it read.
    const own = this.ledger.takeChanged();
    for (const [id, count] of own.counts) if (this.workers.has(id)) take(id, count, this.workers.get(id)!.score);
    for (const id of own.unknown) if (this.workers.has(id)) reread.add(id);
    if (reread.size > 0) {
      const ids = [...reread];
      const hot = await this.hot.read(ids);
      for (const id of ids) take(id, hot.active.get(id) ?? 0, hot.scores.get(id));
    }
    this.readAhead();

    this.clockMs = Math.max(this.clockMs, nowMs);
    if (ttlSeconds !== this.ttlSeconds || this.clockMs >= this.nextLapseMs) {
      this.ttlSeconds = ttlSeconds;
      this.nextLapseMs = Infinity;
      const now = new Date(this.clockMs);
      for (const [id, s] of this.workers) {
        if (isOnline(s.source, now, ttlSeconds) !== s.candidate.online) changed.add(id);
        else this.noteLapse(s.source, s.candidate);
      }
    }

    for (const id of changed) {
      const s = this.workers.get(id)!;
      const candidate = this.candidateOf(s);
      this.noteLapse(s.source, candidate);
      // Most changes read are heartbeats, which move nothing a line holds: compared as text, hashed only when it moved.
      const text = lineOf(s.source, candidate);
      if (text === s.text) continue;
      s.candidate = candidate;
      s.text = text;
      s.line = sha256Of(text);
      for (const key of s.pools) {
        const ids = this.marked.get(key);
        if (ids) ids.add(id);
        else this.marked.set(key, new Set([id]));
      }
    }
  }

  /**
   * Sends the read of the next share of the workers held, for the next unit to take without
   * waiting for Redis (see AHEAD_SHARE). A read that fails is made again by that unit.
   */
  private readAhead(): void {
    const ids = this.dueForReading();
    if (ids.length === 0) return;
    const read = this.hot.read(ids).catch(() => undefined);
    this.ahead = { ids, sentAt: performance.now(), read };
  }

  /** A share of the workers held, in turn, so that each is read at least every `maxAgeMs`. */
  private dueForReading(): string[] {
    const at = performance.now();
    const share = Math.min(1, (at - this.sweptAt) / this.maxAgeMs);
    this.sweptAt = at;
    const n = Math.min(this.order.length, Math.ceil(this.order.length * share));
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(this.order[this.cursor]);
      this.cursor = (this.cursor + 1) % this.order.length;
    }
    return ids;
  }

  /** Builds these pools from the index, holding (and reading the hot state of) workers not held yet. */
  private async build(missing: readonly (readonly [key: string, skills: readonly string[]])[]): Promise<void> {
    const members = missing.map(([, skills]) => this.index.members(skills));
    const fresh = [...new Set(members.flat().filter((w) => !this.workers.has(w.workerId)).map((w) => w.workerId))];
    const hot = await this.hot.read(fresh);
    for (const id of fresh) {
      const source = this.index.get(id)!;
      const s: Standing = { source, active: hot.active.get(id) ?? 0, score: hot.scores.get(id), candidate: undefined!, text: '', line: undefined!, pools: new Set() };
      s.candidate = this.candidateOf(s);
      s.text = lineOf(source, s.candidate);
      s.line = sha256Of(s.text);
      this.noteLapse(source, s.candidate);
      this.workers.set(id, s);
      this.order.push(id);
    }
    missing.forEach(([key], i) => {
      const held = members[i].map((w) => this.workers.get(w.workerId)!);
      const lines = Buffer.allocUnsafe(held.length * 32);
      held.forEach((s, at) => {
        s.line.copy(lines, at * 32);
        s.pools.add(key);
      });
      this.built.set(key, builtPool(held.map((s) => s.candidate), new Map(held.map((s, at) => [s.source.workerId, at])), lines, { first: 0, changes: [] }, 0));
    });
  }

  private candidateOf(s: Standing): Candidate {
    const w = s.source;
    const online = Number.isFinite(this.ttlSeconds) ? isOnline(w, new Date(this.clockMs), this.ttlSeconds) : w.online;
    const score = s.score;
    return {
      workerId: w.workerId, skills: w.skills, languages: w.languages, qualifications: w.qualifications, capacity: w.capacity,
      online, suspended: w.suspended,
      // A worker without a cached score keeps the one in PostgreSQL.
      scores: score ? { quality: score.quality, latency: score.latency, availability: score.availability } : w.scores,
      qualityEvidence: score?.qualityEvidence ?? w.scores.qualityEvidence ?? 0,
      queueShare: 0,
      activeTasks: s.active,
    };
  }

  /** Keeps `nextLapseMs` at or before the moment this worker, held as online, would lapse. */
  private noteLapse(source: IndexedWorker, candidate: Candidate): void {
    if (candidate.online && source.lastSeenMs !== null && Number.isFinite(this.ttlSeconds)) this.nextLapseMs = Math.min(this.nextLapseMs, source.lastSeenMs + this.ttlSeconds * 1000);
  }
}

/**
 * A pool whose digest is computed when first read: a change copies every pool holding the
 * worker, most of which no unit ranks before they change again, and hashing a pool of thousands
 * of members each time was a share of the dispatcher's busy time with 20,000 workers.
 */
function builtPool(members: Candidate[], positions: ReadonlyMap<string, number>, lines: Buffer, history: PoolHistory, copy: number): BuiltPool {
  let digest: string | undefined;
  const pool: BuiltPool = {
    members, positions, lines, history, copy,
    get digest() {
      return (digest ??= sha256(lines));
    },
    replacedSince: (older) => replacedBetween(pool, older as Partial<BuiltPool>),
  };
  return pool;
}

/** The positions the copies between `older` and `pool` replaced, if both are copies of one build and those copies are still known. */
function replacedBetween(pool: BuiltPool, older: Partial<BuiltPool>): readonly number[] | undefined {
  const { history, copy } = pool;
  if (older.history !== history || older.copy === undefined || older.copy > copy || older.copy < history.first) return undefined;
  const from = older.copy - history.first;
  const to = copy - history.first;
  if (to - from === 1) return history.changes[from];
  const seen = new Set<number>();
  for (let k = from; k < to; k++) for (const at of history.changes[k]) seen.add(at);
  return [...seen];
}

/** The line a pool digest holds for one candidate: every field the rules and scores read. */
function lineOf(w: IndexedWorker, c: Candidate): string {
  const { quality, latency, availability } = c.scores;
  return `${w.digestHead}\t${c.activeTasks}\t${c.online ? 1 : 0}\t${c.suspended ? 1 : 0}\t${quality}\t${latency}\t${availability}\t${c.qualityEvidence}\t${w.digestTail}\n`;
}

function sha256Of(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
