import { MemoryRedis } from '@clearwork/platform';
import type Redis from 'ioredis';
import type { CandidateIndex, IndexedWorker } from '../workers/candidate-index';
import { CapacityLedger, LEDGER_SENTINEL } from './capacity-ledger';
import { StandingPools, type Pool } from './standing-pools';
import { HotStateReader } from './worker-hot-state';

const T0 = Date.parse('2026-12-04T12:00:00Z');
const TTL = 90;
const SKILLS = ['image-labelling'];

/** The part of CandidateIndex the pools read, over a map: each `put` is a row read again. */
class RowsIndex {
  private readonly rows = new Map<string, IndexedWorker>();
  private readonly log: string[] = [];
  membershipVersion = 0;

  put(w: Partial<IndexedWorker> & { workerId: string }): void {
    const before = this.rows.get(w.workerId);
    const row = { ...(before ?? worker(w.workerId)), ...w };
    this.rows.set(w.workerId, { ...row, digestHead: `${row.workerId}\t${row.capacity}`, digestTail: `${row.skills.join(',')}\t${row.languages.join(',')}` });
    this.log.push(w.workerId);
    if (!before || before.skills.join() !== row.skills.join()) this.membershipVersion++;
  }

  get changePosition(): number {
    return this.log.length;
  }

  changesSince(position: number) {
    return { ids: this.log.slice(position), position: this.log.length };
  }

  get(id: string): IndexedWorker | undefined {
    return this.rows.get(id);
  }

  members(skills: readonly string[]): IndexedWorker[] {
    return [...this.rows.values()].filter((w) => skills.every((s) => w.skills.includes(s))).sort((a, b) => (a.workerId < b.workerId ? -1 : 1));
  }
}

function worker(workerId: string): IndexedWorker {
  return {
    workerId, skills: SKILLS, languages: ['en'], qualifications: [], capacity: 2, online: true, suspended: false,
    scores: { quality: 0.5, latency: 0.5, availability: 0.5 }, lastSeenMs: T0, digestHead: '', digestTail: '',
  };
}

async function setUp(maxAgeMs: number) {
  const redis = new MemoryRedis();
  await redis.set(LEDGER_SENTINEL, new Date(T0).toISOString());
  const index = new RowsIndex();
  for (const id of ['w-1', 'w-2', 'w-3']) index.put({ workerId: id });
  const ledger = new CapacityLedger(redis as unknown as Redis);
  const make = () => new StandingPools(index as unknown as CandidateIndex, new HotStateReader(redis as unknown as Redis), ledger, maxAgeMs);
  const pools = make();
  const pool = async (at = T0, p = pools): Promise<Pool> => (await p.pools([SKILLS], new Date(at), TTL)).values().next().value!;
  /** The same pool built from nothing over the same rows and Redis: what every update must arrive at. */
  const fromScratch = async (at = T0) => pool(at, make());
  return { redis, index, ledger, pool, fromScratch };
}

const view = (p: Pool) => ({ digest: p.digest, members: p.members.map((c) => ({ ...c })) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('StandingPools', () => {
  it('brings a pool up to date with every kind of change, to the same members and digest as building it from nothing', async () => {
    const { redis, index, ledger, pool, fromScratch } = await setUp(60_000);
    const first = await pool();
    expect(first.members.map((c) => [c.workerId, c.activeTasks, c.online])).toEqual([['w-1', 0, true], ['w-2', 0, true], ['w-3', 0, true]]);
    expect(view(first)).toEqual(view(await fromScratch()));
    const firstSeen = view(first);

    index.put({ workerId: 'w-2', capacity: 3, scores: { quality: 0.9, latency: 0.5, availability: 0.5 } }); // a profile change, read by the index
    expect(await ledger.claim('w-3', 2)).toBe(true); // this process's claim
    await redis.set('score:w-1', JSON.stringify({ workerId: 'w-1', quality: 0.7, latency: 0.4, availability: 0.6, qualityEvidence: 3, scoredAt: new Date(T0).toISOString(), policyVersion: 1 }));
    const second = await pool();
    expect(second.members.map((c) => [c.workerId, c.capacity, c.activeTasks, c.scores.quality])).toEqual([['w-1', 2, 0, 0.5], ['w-2', 3, 0, 0.9], ['w-3', 2, 1, 0.5]]);
    expect(second.digest).not.toBe(first.digest);
    // The first pool, handed to an earlier unit, is as it was.
    expect(view(first)).toEqual(firstSeen);

    // Another process's score in Redis is not seen before its turn comes round...
    expect((await pool()).members[0].scores.quality).toBe(0.5);
    // ...and it is seen at the latest when `maxAgeMs` has passed (here, with 1 ms).
    const soon = await setUp(1);
    await soon.pool();
    await soon.redis.set('active:w-1', '2');
    await sleep(5);
    expect((await soon.pool()).members[0].activeTasks).toBe(2);
    expect(view(await soon.pool())).toEqual(view(await soon.fromScratch()));

    // A heartbeat that lapses takes the worker offline at the next unit after it.
    index.put({ workerId: 'w-1', lastSeenMs: T0 - 80_000 });
    const beforeLapse = await pool(T0);
    expect(beforeLapse.members[0].online).toBe(true);
    const later = T0 + 20_000;
    const lapsed = await pool(later);
    expect(lapsed.members.map((c) => c.online)).toEqual([false, true, true]);

    // A newcomer with the skills joins the pool.
    index.put({ workerId: 'w-0', lastSeenMs: later });
    const joined = await pool(later);
    expect(joined.members.map((c) => c.workerId)).toEqual(['w-0', 'w-1', 'w-2', 'w-3']);
    await redis.set('score:w-1', ''); // what Redis says of w-1 now matches the first pools' again
    await ledger.claim('w-1', 2);
    expect(view(await pool(later))).toEqual(view(await fromScratch(later)));
  });

  it('makes a pool again with every change since it was last asked for, however many units passed in between', async () => {
    const { redis, index, ledger, pool, fromScratch } = await setUp(60_000);
    const both = ['image-labelling', 'transcription'];
    for (const id of ['w-1', 'w-2']) index.put({ workerId: id, skills: both });
    const pools = new StandingPools(index as unknown as CandidateIndex, new HotStateReader(redis as unknown as Redis), ledger, 60_000);
    const ask = async (skills: readonly string[], at = T0) => (await pools.pools([skills], new Date(at), TTL)).values().next().value!;
    const scratch = async (skills: readonly string[], at = T0) => (await new StandingPools(index as unknown as CandidateIndex, new HotStateReader(redis as unknown as Redis), ledger, 60_000).pools([skills], new Date(at), TTL)).values().next().value!;
    const wideBefore = await ask(SKILLS);
    const narrowBefore = await ask(both);
    const narrowSeen = view(narrowBefore);

    // Units that rank only in the wide pool, while workers of both pools change.
    expect(await ledger.claim('w-1', 2)).toBe(true);
    await ask(SKILLS);
    index.put({ workerId: 'w-2', capacity: 3 });
    await ask(SKILLS);
    index.put({ workerId: 'w-1', scores: { quality: 0.8, latency: 0.5, availability: 0.5 } });
    index.put({ workerId: 'w-2', capacity: 2 }); // back as it was
    index.put({ workerId: 'w-2', lastSeenMs: T0 + 1_000 }); // a heartbeat: no line moves
    const wide = await ask(SKILLS);
    expect(view(wide)).toEqual(view(await scratch(SKILLS)));
    expect(wide.digest).not.toBe(wideBefore.digest);

    // The narrow pool, asked for again, holds every change made meanwhile; the one handed out before is as it was.
    const narrow = await ask(both);
    expect(view(narrow)).toEqual(view(await scratch(both)));
    expect(narrow.members.map((c) => [c.workerId, c.activeTasks, c.capacity, c.scores.quality])).toEqual([['w-1', 1, 2, 0.8], ['w-2', 0, 2, 0.5]]);
    expect(view(narrowBefore)).toEqual(narrowSeen);
    expect(await ask(both)).toBe(narrow);
    expect(view(await pool())).toEqual(view(await fromScratch()));
  });

  it('tells which positions a later copy of a pool replaced, over any number of copies, and not across builds', async () => {
    const { index, ledger, pool } = await setUp(60_000);
    for (const id of ['w-4', 'w-5']) index.put({ workerId: id });
    const first = await pool();
    const ids = first.members.map((c) => c.workerId);
    expect(ids).toEqual(['w-1', 'w-2', 'w-3', 'w-4', 'w-5']);
    /** What comparing the two versions member by member finds: every position that holds another candidate. */
    const compared = (later: Pool, older: Pool) => later.members.flatMap((c, i) => (c === older.members[i] ? [] : [i]));
    const sorted = (xs: readonly number[] | undefined) => (xs ? [...xs].sort((a, b) => a - b) : xs);

    index.put({ workerId: 'w-2', capacity: 3 });
    const second = await pool();
    expect(sorted(second.replacedSince!(first))).toEqual([1]);
    expect(await ledger.claim('w-5', 2)).toBe(true);
    index.put({ workerId: 'w-2', capacity: 1 });
    const third = await pool();
    expect(sorted(third.replacedSince!(second))).toEqual([1, 4]);
    // Over two copies: each position once, and every one that comparing finds.
    const overTwo = third.replacedSince!(first)!;
    expect(new Set(overTwo).size).toBe(overTwo.length);
    expect(sorted(overTwo)).toEqual([1, 4]);
    expect(compared(third, first).every((i) => overTwo.includes(i))).toBe(true);
    // Not from a later copy to an earlier one, and not across a rebuild (a newcomer moves positions).
    expect(first.replacedSince!(third)).toBeUndefined();
    index.put({ workerId: 'w-0' });
    const rebuilt = await pool();
    expect(rebuilt.members[0].workerId).toBe('w-0');
    expect(rebuilt.replacedSince!(third)).toBeUndefined();
  });

  it("reads the share due ahead, for the next unit: a unit waits for Redis only for counts its process's scripts did not give", async () => {
    const { redis, index, ledger } = await setUp(60_000);
    const reader = new HotStateReader(redis as unknown as Redis);
    const reads: string[][] = [];
    const read = reader.read.bind(reader);
    reader.read = (ids) => {
      reads.push([...ids]);
      return read(ids);
    };
    const pools = new StandingPools(index as unknown as CandidateIndex, reader, ledger, 60_000);
    const ask = async () => (await pools.pools([SKILLS], new Date(T0), TTL)).values().next().value!;
    await ask();
    await ask();

    // Claims and releases answer with the count: taken as the scripts gave it, with no read in the unit.
    expect(await ledger.claim('w-1', 2)).toBe(true);
    expect(await ledger.claimMany([{ workerId: 'w-2', capacity: 2 }, { workerId: 'w-2', capacity: 2 }])).toEqual([true, true]);
    await ledger.releaseMany(['w-2', 'w-3']);
    reads.length = 0;
    expect((await ask()).members.map((c) => c.activeTasks)).toEqual([1, 1, 0]);
    // The one read is the next share's, sent for the next unit (a share of a 60 s round is one worker here).
    expect(reads.map((ids) => ids.length)).toEqual([1]);

    // A refused claim gives no count: that worker is read in the unit.
    await redis.set('active:w-3', '2'); // another process filled w-3
    expect(await ledger.claim('w-3', 2)).toBe(false);
    reads.length = 0;
    expect((await ask()).members[2].activeTasks).toBe(2);
    expect(reads[0]).toEqual(['w-3']);

    // Another process's change is seen when its turn comes round, through the share read ahead.
    await redis.set('active:w-1', '2');
    let seen = 0;
    for (let unit = 0; unit < 10 && seen !== 2; unit++) seen = (await ask()).members[0].activeTasks;
    expect(seen).toBe(2);
  });

  it('reads the share due in the unit when the one read ahead is too old to use', async () => {
    const { redis, index, ledger } = await setUp(50);
    const pools = new StandingPools(index as unknown as CandidateIndex, new HotStateReader(redis as unknown as Redis), ledger, 50);
    const ask = async () => (await pools.pools([SKILLS], new Date(T0), TTL)).values().next().value!;
    await ask();
    await ask(); // reads a share ahead
    await redis.set('active:w-1', '1');
    await redis.set('active:w-2', '2');
    await sleep(60); // more than the 10 ms a read ahead may be old, and the whole round due
    expect((await ask()).members.map((c) => c.activeTasks)).toEqual([1, 2, 0]);
  });

  it('hands back the same pool, unchanged, when nothing changed', async () => {
    const { pool } = await setUp(60_000);
    const first = await pool();
    expect(await pool()).toBe(first);
  });
});
