/*
 * Embedded mode's in-memory state store against a real Redis: each case runs the same commands,
 * pipelines and dispatcher scripts (their Lua on Redis, their JavaScript twins on MemoryRedis)
 * on both, each from an empty key space under the same key prefix, and both must give the same
 * replies and the same errors. Some cases also pin what Redis answers, so that a case cannot
 * pass by going wrong the same way on both.
 */
import { randomBytes } from 'node:crypto';
import { asIoredis, defineScript, MemoryRedis } from '@clearwork/platform';
import Redis from 'ioredis';
import { CapacityLedger, CLAIM_SLOT, LEDGER_SENTINEL, RELEASE_SLOT } from '../apps/dispatcher/src/dispatch/capacity-ledger';
import { SET_IF_EQUALS } from '../apps/dispatcher/src/dispatch/capacity-reconciler';
import { REDIS_URL } from './support/servers';

type Client = Redis & {
  claimSlot(counter: string, sentinel: string, capacity: number | string): Promise<number>;
  releaseSlot(counter: string): Promise<number>;
  setIfEquals(key: string, expected: string, next: string): Promise<number>;
};
/** The chain of the pipeline case, scripts included (ioredis's own type does not know the scripts). */
interface ScriptedPipeline {
  set(key: string, value: string): ScriptedPipeline;
  mget(...keys: string[]): ScriptedPipeline;
  incr(key: string): ScriptedPipeline;
  claimSlot(counter: string, sentinel: string, capacity: number): ScriptedPipeline;
  releaseSlot(counter: string): ScriptedPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}
type Outcome = { value: unknown } | { error: string; kind: string };

const SCRIPTS = { claimSlot: CLAIM_SLOT, releaseSlot: RELEASE_SLOT, setIfEquals: SET_IF_EQUALS };
const COUNTER = 'active:w1';

/**
 * An error in the words both sides share: Redis adds to a script's error where in the Lua it
 * arose (`user_script:3:` and `script: <sha>, on @user_script:3.`), MemoryRedis the script's name.
 */
function errorText(error: Error): string {
  return error.message
    .replace(new RegExp(`^ERR (user_script:\\d+|${Object.keys(SCRIPTS).join('|')}): `), 'ERR ')
    .replace(/ script: \w+, on @user_script:\d+\.$/, '');
}

const failure = (error: Error): Outcome => ({ error: errorText(error), kind: error.constructor.name });
const ok = (value: unknown): Outcome => ({ value });
const fails = (error: string): Outcome => ({ error, kind: 'ReplyError' });

/**
 * The outcome of each reply. The commands are all sent before any reply is awaited: both clients
 * run them in the order they were called (ioredis on one connection, MemoryRedis at the call).
 */
function steps(...replies: Promise<unknown>[]): Promise<Outcome[]> {
  return Promise.all(replies.map((reply) => reply.then(ok, failure)));
}

/** A pipeline's replies as outcomes. */
function results(replies: [Error | null, unknown][] | null): Outcome[] {
  return replies!.map(([error, value]) => (error ? failure(error) : ok(value)));
}

/** Every key SCAN reaches from cursor 0 until it answers cursor 0 again, sorted (the order is Redis's own). */
async function scanAll(redis: Redis, pattern: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    keys.push(...page);
  } while (cursor !== '0');
  return keys.sort();
}

interface Case {
  readonly name: string;
  run(redis: Client, prefix: string): Promise<unknown>;
  /** What Redis answers, where the case is about a particular answer. */
  readonly expected?: unknown;
}

const cases: Case[] = [
  {
    name: 'claimSlot answers -2 while the sentinel is missing, and leaves the counter alone',
    run: (r) => steps(r.claimSlot(COUNTER, LEDGER_SENTINEL, 3), r.exists(COUNTER)),
    expected: [ok(-2), ok(0)],
  },
  {
    name: 'claimSlot counts up to the capacity, then answers -1',
    run: (r) => steps(r.set(LEDGER_SENTINEL, 'now'), ...[1, 2, 3, 4].map(() => r.claimSlot(COUNTER, LEDGER_SENTINEL, 3)), r.get(COUNTER)),
    expected: [ok('OK'), ok(1), ok(2), ok(3), ok(-1), ok('3')],
  },
  {
    name: 'claimSlot answers -1 at capacity 0 and above capacity',
    run: (r) => steps(r.set(LEDGER_SENTINEL, 'now'), r.claimSlot(COUNTER, LEDGER_SENTINEL, 0), r.set(COUNTER, '5'), r.claimSlot(COUNTER, LEDGER_SENTINEL, 3), r.get(COUNTER)),
    expected: [ok('OK'), ok(-1), ok('OK'), ok(-1), ok('5')],
  },
  {
    name: "claimSlot reads the capacity as Lua's tonumber does",
    run: (r) =>
      steps(
        r.set(LEDGER_SENTINEL, 'now'),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, ' 2 '),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, '0x3'),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, '3.5'),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, '1e1'),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, 'inf'),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, 'nan'),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, 'lots'),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, ''),
      ),
  },
  {
    name: 'claimSlot fails on a counter that is not a number, or is one INCR refuses',
    run: (r) =>
      steps(
        r.set(LEDGER_SENTINEL, 'now'),
        r.set(COUNTER, 'abc'),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, 3),
        r.set(COUNTER, ' 1 '),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, 3),
        r.set(COUNTER, '1.5'),
        r.claimSlot(COUNTER, LEDGER_SENTINEL, 3),
        r.get(COUNTER),
      ),
    expected: [
      ok('OK'),
      ok('OK'),
      fails('ERR attempt to compare nil with number'),
      ok('OK'),
      fails('ERR value is not an integer or out of range'),
      ok('OK'),
      fails('ERR value is not an integer or out of range'),
      ok('1.5'),
    ],
  },
  {
    name: 'a call missing its key gets `<prefix>undefined` from ioredis, a script its missing keys too',
    run: async (r, prefix) => {
      const loose = r as unknown as Record<'get' | 'incr' | 'claimSlot', (...args: string[]) => Promise<unknown>>;
      const outcomes = await steps(loose.incr(), loose.get(), r.set(LEDGER_SENTINEL, 'now'), loose.claimSlot(COUNTER), loose.claimSlot(COUNTER, LEDGER_SENTINEL, '1'));
      return { outcomes, keys: await scanAll(r, `${prefix}*`, 100) };
    },
  },
  {
    name: 'releaseSlot counts down to 0 and no further, and does not create a missing counter',
    run: (r) => steps(r.set(COUNTER, '2'), r.releaseSlot(COUNTER), r.releaseSlot(COUNTER), r.releaseSlot(COUNTER), r.get(COUNTER), r.releaseSlot('active:w2'), r.exists('active:w2')),
    expected: [ok('OK'), ok(1), ok(0), ok(0), ok('0'), ok(0), ok(0)],
  },
  {
    name: 'releaseSlot leaves a negative counter, and fails on one that is not an integer',
    run: (r) => steps(r.set(COUNTER, '-3'), r.releaseSlot(COUNTER), r.set(COUNTER, 'abc'), r.releaseSlot(COUNTER), r.set(COUNTER, '2.5'), r.releaseSlot(COUNTER)),
    expected: [ok('OK'), ok(0), ok('OK'), fails('ERR attempt to compare number with nil'), ok('OK'), fails('ERR value is not an integer or out of range')],
  },
  {
    name: 'setIfEquals sets only a counter holding the expected value, a missing one holding 0',
    run: (r) =>
      steps(
        r.setIfEquals(COUNTER, '0', '5'),
        r.get(COUNTER),
        r.setIfEquals(COUNTER, '4', '7'),
        r.get(COUNTER),
        r.setIfEquals(COUNTER, '5', '2'),
        r.get(COUNTER),
        r.setIfEquals('active:w2', '', '1'),
        r.exists('active:w2'),
      ),
    expected: [ok(1), ok('5'), ok(0), ok('5'), ok(1), ok('2'), ok(0), ok(0)],
  },
  {
    name: 'setIfEquals fails without the value to set',
    run: (r) => steps((r as unknown as { setIfEquals(k: string, e: string): Promise<number> }).setIfEquals(COUNTER, '0'), r.exists(COUNTER)),
    expected: [fails('ERR Lua redis lib command arguments must be strings or integers'), ok(0)],
  },
  {
    name: 'mget answers null for missing keys, takes an array, and needs a key',
    run: (r) => steps(r.set('a', '1'), r.set('c', '3'), r.mget('a', 'b', 'c', 'a'), r.mget(['c', 'b']), (r.mget as (...k: string[]) => Promise<unknown>)()),
    expected: [ok('OK'), ok('OK'), ok(['1', null, '3', '1']), ok(['3', null]), fails("ERR wrong number of arguments for 'mget' command")],
  },
  {
    name: 'get, set, exists, incr and decr answer alike, errors included',
    run: (r) =>
      steps(
        r.get('a'),
        r.set('a', 5),
        r.get('a'),
        r.exists('a', 'a', 'b'),
        r.incr('a'),
        r.decr('b'),
        r.set('c', '01'),
        r.incr('c'),
        r.set('d', '9223372036854775807'),
        r.incr('d'),
        r.set('e', '-9223372036854775808'),
        r.decr('e'),
        r.set('f', '99999999999999999999'),
        r.incr('f'),
        (r.exists as (...k: string[]) => Promise<unknown>)(),
        r.ping(),
        r.ping('hello'),
      ),
  },
  {
    name: 'scan takes the prefixed pattern and returns prefixed keys, covering all of them in pages',
    run: async (r, prefix) => {
      const pipeline = r.pipeline();
      for (let i = 0; i < 150; i++) pipeline.set(`active:w${i}`, '0');
      pipeline.set('score:w1', '{}');
      await pipeline.exec();
      const active = await scanAll(r, `${prefix}active:*`, 100);
      return { count: active.length, all: active.every((k) => k.startsWith(`${prefix}active:w`)), unprefixed: await scanAll(r, `active:${randomBytes(4).toString('hex')}*`, 100) };
    },
    expected: { count: 150, all: true, unprefixed: [] },
  },
  {
    name: 'scan matches glob patterns as Redis does',
    run: async (r, prefix) => {
      await Promise.all(['a', 'ab', 'abc', 'b1', 'c1', 'x*', 'x?', 'a]', '-'].map((k) => r.set(k, '1')));
      const patterns = ['*', 'a*', 'a?', '?1', '[bc]1', '[^b]1', '[a-b]*', '[b-a]1', 'x\\*', 'x[*]', 'x\\?', 'a[\\]]', '[-]', '*c', 'a*c*', '**b*', '[ab', 'abcd'];
      const matched: Record<string, string[]> = {};
      for (const p of patterns) matched[p] = (await scanAll(r, `${prefix}${p}`, 100)).map((k) => k.slice(prefix.length));
      return matched;
    },
  },
  {
    name: 'scan refuses a bad cursor or option',
    run: (r) => steps(r.scan('abc'), r.scan('0', 'COUNT', 0), r.scan('0', 'COUNT', 'x'), (r.scan as unknown as (...a: string[]) => Promise<unknown>)('0', 'MATCH')),
    expected: [fails('ERR invalid cursor'), fails('ERR syntax error'), fails('ERR value is not an integer or out of range'), fails('ERR syntax error')],
  },
  {
    name: 'a pipeline replies [error, result] per command, scripts included, a failed one not stopping the rest',
    run: async (r) => {
      await r.set(LEDGER_SENTINEL, 'now');
      await r.set('active:bad', 'abc');
      const pipeline = (r.pipeline() as unknown as ScriptedPipeline)
        .set('active:w1', '1')
        .mget('active:w1', 'active:w2')
        .claimSlot('active:w1', LEDGER_SENTINEL, 2)
        .claimSlot('active:w1', LEDGER_SENTINEL, 2)
        .claimSlot('active:bad', LEDGER_SENTINEL, 2)
        .releaseSlot('active:w2')
        .incr('active:bad')
        .mget('active:w1', 'active:bad');
      const replies = await pipeline.exec();
      return { results: results(replies), lengths: replies!.map((reply) => reply.length), empty: await r.pipeline().exec() };
    },
    expected: {
      results: [
        ok('OK'),
        ok(['1', null]),
        ok(2),
        ok(-1),
        fails('ERR attempt to compare nil with number'),
        ok(0),
        fails('ERR value is not an integer or out of range'),
        ok(['2', 'abc']),
      ],
      lengths: [2, 2, 2, 2, 1, 2, 1, 2],
      empty: [],
    },
  },
  {
    name: "the dispatcher's CapacityLedger claims and releases alike",
    run: async (r) => {
      const ledger = new CapacityLedger(r);
      const claims = [await ledger.claim('w1', 1)];
      await r.set(LEDGER_SENTINEL, 'now');
      for (let i = 0; i < 3; i++) claims.push(await ledger.claim('w1', 2), await ledger.claim('w2', 2));
      await ledger.releaseMany(['w1', 'w1', 'w1', 'w2']);
      await ledger.release('w2');
      return { claims, lost: ledger.lostClaims, counters: await r.mget('active:w1', 'active:w2') };
    },
    expected: { claims: [false, true, true, true, true, false, false], lost: 1, counters: ['0', '0'] },
  },
];

describe('state store: MemoryRedis answers as Redis does', () => {
  const prefix = `state-test-${randomBytes(4).toString('hex')}:`;
  let redis: Client;
  let memory: Client;

  /** Deletes this run's keys from Redis (SCAN and DEL; the client's prefix is taken off for DEL, which adds it again). */
  async function wipe(): Promise<void> {
    const keys = await scanAll(redis, `${prefix}*`, 1000);
    if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(prefix.length)));
  }

  beforeAll(async () => {
    // Redis is required: when it does not answer, the suite fails here, saying so, instead of being skipped or timing out.
    const client = new Redis(REDIS_URL, { keyPrefix: prefix, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      throw new Error(`Redis is not reachable at ${REDIS_URL} (${(error as Error).message}).\nStart it with: npm run infra:up`);
    }
    redis = client as Client;
    memory = asIoredis(new MemoryRedis({ keyPrefix: prefix })) as Client;
    for (const [name, script] of Object.entries(SCRIPTS)) {
      defineScript(redis, name, script);
      defineScript(memory, name, script);
    }
  });

  beforeEach(async () => {
    await wipe();
    (memory as unknown as MemoryRedis).clear();
  });

  afterAll(async () => {
    if (!redis) return;
    await wipe();
    await redis.quit();
  });

  it.each(cases)('$name', async ({ run, expected }) => {
    const onRedis = await run(redis, prefix);
    const inMemory = await run(memory, prefix);
    if (expected !== undefined) expect(onRedis).toEqual(expected);
    expect(inMemory).toEqual(onRedis);
  });
});
