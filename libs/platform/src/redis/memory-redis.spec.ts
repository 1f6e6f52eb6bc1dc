import { ReplyError } from 'ioredis';
import { asIoredis, MemoryRedis, MemoryStore } from './memory-redis';
import { defineScript, luaLessThan, luaToNumber, type RedisScript } from './redis-scripts';

/** A script whose Lua is never run here: only its twin is. */
const twin = (numberOfKeys: number, inMemory: RedisScript['inMemory']): RedisScript => ({ numberOfKeys, lua: 'error("not run in memory")', inMemory });

type Scripted = MemoryRedis & { probe(...args: unknown[]): Promise<unknown> };

/** Every key SCAN reaches from cursor 0 to the end, `count` at a time, and how many calls it took. */
async function scanAll(redis: MemoryRedis, pattern: string, count: number): Promise<{ keys: string[]; calls: number }> {
  const keys: string[] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const [next, page] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    expect(typeof next).toBe('string');
    cursor = next;
    calls++;
    keys.push(...page);
  } while (cursor !== '0');
  return { keys: keys.sort(), calls };
}

describe('MemoryRedis', () => {
  let redis: MemoryRedis;

  beforeEach(() => {
    redis = new MemoryRedis({ keyPrefix: 'cw:' });
  });

  it('answers with the replies ioredis gives, through promises', async () => {
    const reply = redis.set('a', 'x');
    expect(reply).toBeInstanceOf(Promise);
    expect(await reply).toBe('OK');
    expect(await redis.set('n', 5)).toBe('OK');
    expect(await redis.get('n')).toBe('5');
    expect(await redis.get('missing')).toBeNull();
    expect(await redis.mget('a', 'missing', 'n')).toEqual(['x', null, '5']);
    expect(await redis.mget(['a', 'n'])).toEqual(['x', '5']); // ioredis flattens an array of keys
    expect(await redis.exists('a', 'a', 'missing')).toBe(2);
    expect(await redis.incr('c')).toBe(1);
    expect(await redis.incr('c')).toBe(2);
    expect(await redis.decr('d')).toBe(-1);
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.ping('hello')).toBe('hello');
  });

  it('puts the key prefix before command keys, not before SCAN patterns or the keys SCAN returns', async () => {
    await redis.set('active:w1', '1');
    expect(redis.store.get('cw:active:w1')).toBe('1');
    expect(redis.store.get('active:w1')).toBeNull();
    expect(await redis.scan('0', 'MATCH', 'cw:active:*')).toEqual(['0', ['cw:active:w1']]);
    expect(await redis.scan('0', 'MATCH', 'active:*')).toEqual(['0', []]);
  });

  it('fails as Redis does, with ReplyErrors bearing its messages', async () => {
    await redis.set('text', 'abc');
    await redis.set('padded', '01');
    await redis.set('max', '9223372036854775807');
    const failures: [Promise<unknown>, string][] = [
      [redis.incr('text'), 'ERR value is not an integer or out of range'],
      [redis.incr('padded'), 'ERR value is not an integer or out of range'],
      [redis.incr('max'), 'ERR increment or decrement would overflow'],
      [redis.mget(), "ERR wrong number of arguments for 'mget' command"],
      [redis.exists(), "ERR wrong number of arguments for 'exists' command"],
      [redis.scan('abc'), 'ERR invalid cursor'],
      [redis.scan('0', 'COUNT', 0), 'ERR syntax error'],
      [redis.scan('0', 'COUNT', 'x'), 'ERR value is not an integer or out of range'],
      [redis.scan('0', 'MATCH'), 'ERR syntax error'],
    ];
    for (const [reply, message] of failures) {
      const error = await reply.then(() => undefined, (e: Error) => e);
      expect(error).toBeInstanceOf(ReplyError);
      expect(error?.message).toBe(message);
    }
    expect(await redis.get('max')).toBe('9223372036854775807'); // a failed INCR leaves the value
  });

  it('scans every key in pages, ending with cursor 0, keys set meanwhile included', async () => {
    for (let i = 0; i < 25; i++) await redis.set(`k${i}`, String(i));
    await redis.set('other', '-');
    const all = await scanAll(redis, 'cw:k*', 4);
    expect(all.keys).toEqual(Array.from({ length: 25 }, (_, i) => `cw:k${i}`).sort());
    expect(all.calls).toBeGreaterThan(5);

    // Writes between calls neither lose nor repeat a key present throughout.
    const seen: string[] = [];
    let cursor = '0';
    let added = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'cw:k*', 'COUNT', 3);
      seen.push(...keys);
      cursor = next;
      await redis.set(`k${added++ % 5}`, 'changed');
      await redis.set(`new${added}`, '-');
    } while (cursor !== '0');
    expect(seen.sort()).toEqual(all.keys);
  });

  it('matches SCAN patterns as Redis globs', async () => {
    const keys = ['a', 'ab', 'abc', 'b1', 'c1', 'x*', 'x?', 'a]', '-'];
    const plain = new MemoryRedis();
    for (const k of keys) await plain.set(k, '1');
    const cases: [string, string[]][] = [
      ['*', keys],
      ['a*', ['a', 'ab', 'abc', 'a]']],
      ['a?', ['ab', 'a]']],
      ['?1', ['b1', 'c1']],
      ['[bc]1', ['b1', 'c1']],
      ['[^b]1', ['c1']],
      ['[a-b]*', ['a', 'ab', 'abc', 'b1', 'a]']],
      ['[b-a]1', ['b1']], // a reversed range is the same range
      ['x\\*', ['x*']],
      ['x[*]', ['x*']],
      ['x\\?', ['x?']],
      ['a[\\]]', ['a]']],
      ['[-]', ['-']],
      ['*c', ['abc']],
      ['a*c*', ['abc']],
      ['**b*', ['ab', 'abc', 'b1']],
      ['[ab', ['a']], // an unclosed class runs to the end of the pattern
      ['abcd', []],
    ];
    for (const [pattern, expected] of cases) {
      expect({ pattern, keys: (await scanAll(plain, pattern, 2)).keys }).toEqual({ pattern, keys: [...expected].sort() });
    }
  });

  it('chains commands on a pipeline and replies [error, result] per command, [error] alone when one failed', async () => {
    await redis.set('text', 'abc');
    const results = await redis.pipeline().set('a', '1').incr('text').mget('a', 'missing').exists('a').incr('a').get('a').exec();
    expect(results.map(([error, value]) => (error ? [error.message] : [null, value]))).toEqual([
      [null, 'OK'],
      ['ERR value is not an integer or out of range'],
      [null, ['1', null]],
      [null, 1],
      [null, 2],
      [null, '2'],
    ]);
    expect(results[1]).toHaveLength(1);
    expect(results[1][0]).toBeInstanceOf(ReplyError);
    expect(await redis.pipeline().exec()).toEqual([]);
  });

  it('runs nothing queued on a pipeline before exec', async () => {
    const pipeline = redis.pipeline().set('a', '1');
    expect(await redis.get('a')).toBeNull();
    await pipeline.exec();
    expect(await redis.get('a')).toBe('1');
  });

  it('runs a script twin with prefixed keys and string arguments, on the client and its pipelines', async () => {
    const calls: unknown[] = [];
    defineScript(redis, 'probe', twin(2, (_store, keys, args) => (calls.push({ keys, args }), args.length)));
    const scripted = redis as Scripted;
    expect(await scripted.probe('k1', 'k2', 3, 'x', null)).toBe(3);
    expect(calls).toEqual([{ keys: ['cw:k1', 'cw:k2'], args: ['3', 'x', ''] }]);
    const results = await (redis.pipeline() as unknown as { probe(...a: unknown[]): { exec(): Promise<unknown> } }).probe('k1', 'k2').exec();
    expect(results).toEqual([[null, 0]]);
  });

  it('replies as Redis turns a Lua value into a reply: numbers as integers, errors as ReplyErrors', async () => {
    const scripted = redis as MemoryRedis & Record<'frac' | 'negative' | 'nothing' | 'text' | 'fails' | 'failsInRedis', () => Promise<unknown>>;
    defineScript(redis, 'frac', twin(0, () => 2.7));
    defineScript(redis, 'negative', twin(0, () => -2.7));
    defineScript(redis, 'nothing', twin(0, () => null));
    defineScript(redis, 'text', twin(0, () => 'ok'));
    defineScript(redis, 'fails', twin(0, () => (luaLessThan(luaToNumber('x'), 1) ? 1 : 0)));
    defineScript(redis, 'failsInRedis', twin(0, (store) => (store.set('cw:t', 'abc'), store.incr('cw:t'))));
    expect(await scripted.frac()).toBe(2);
    expect(await scripted.negative()).toBe(-2);
    expect(await scripted.nothing()).toBeNull();
    expect(await scripted.text()).toBe('ok');
    const error = await scripted.fails().catch((e: Error) => e);
    expect(error).toBeInstanceOf(ReplyError);
    expect((error as Error).message).toBe('ERR fails: attempt to compare nil with number');
    await expect(scripted.failsInRedis()).rejects.toThrow('ERR value is not an integer or out of range');
    expect(await redis.get('t')).toBe('abc'); // what a failing script wrote before the error stays, as in Redis
  });

  it('fills a missing key with `<prefix>undefined` as ioredis does when it has a prefix, and refuses the call without one', async () => {
    const loose = (r: MemoryRedis) => r as unknown as Record<'get' | 'incr' | 'probe', (...args: string[]) => Promise<unknown>>;
    defineScript(redis, 'probe', twin(2, (_store, keys) => keys.join(' ')));
    expect(await loose(redis).incr()).toBe(1);
    expect(await redis.get('undefined')).toBe('1');
    expect(await loose(redis).probe('a')).toBe('cw:a cw:undefined');
    const plain = new MemoryRedis();
    defineScript(plain, 'probe', twin(2, (_store, keys) => keys.join(' ')));
    await expect(loose(plain).get()).rejects.toThrow("ERR wrong number of arguments for 'get' command");
    await expect(loose(plain).probe('a')).rejects.toThrow("ERR Number of keys can't be greater than number of args");
  });

  it('registers scripts on the ioredis client with defineCommand instead', () => {
    const defined: unknown[] = [];
    const ioredis = { defineCommand: (name: string, definition: unknown) => defined.push({ name, definition }) };
    defineScript(ioredis as never, 'probe', twin(1, () => 1));
    expect(defined).toEqual([{ name: 'probe', definition: { numberOfKeys: 1, lua: 'error("not run in memory")' } }]);
  });

  it('refuses, naming it, any command or option it does not answer, on the client and on pipelines', () => {
    const io = asIoredis(redis);
    expect(() => io.hset('h', 'f', 'v')).toThrow('MemoryRedis does not support hset');
    expect(() => io.del('a')).toThrow('MemoryRedis does not support del');
    expect(() => io.getBuffer('a')).toThrow('MemoryRedis does not support getBuffer');
    expect(() => io.set('a', '1', 'EX', 10)).toThrow('MemoryRedis does not support SET with options (EX 10)');
    expect(() => io.pipeline().get('a').expire('a', 10)).toThrow('MemoryRedis does not support expire');
    expect(() => io.pipeline().set('a', '1', 'NX')).toThrow('MemoryRedis does not support SET with options (NX)');
    expect(() => io.get('a', () => undefined)).toThrow('MemoryRedis does not support callbacks');
    expect(() => io.get(Buffer.from('a'))).toThrow('MemoryRedis does not support Buffer arguments');
    expect(() => defineScript(redis, 'echo', twin(1, () => 1))).toThrow("a script cannot be named 'echo'"); // ECHO is a command
    expect(() => redis.defineCommand('claimSlot')).toThrow('register the script with defineScript');
    expect(() => defineScript(redis, 'get', twin(1, () => 1))).toThrow("a script cannot be named 'get'");
  });

  it('stays usable after quit, shares its store with other clients, and clear() empties it', async () => {
    const store = new MemoryStore();
    const a = new MemoryRedis({ keyPrefix: 'cw:', store });
    const b = new MemoryRedis({ keyPrefix: 'other:', store });
    await a.set('k', '1');
    expect(await a.quit()).toBe('OK');
    expect(await a.get('k')).toBe('1');
    expect(await b.mget('k', 'cw:k')).toEqual([null, null]); // other:k and other:cw:k
    expect(await b.scan('0', 'MATCH', 'cw:*')).toEqual(['0', ['cw:k']]);
    a.clear();
    expect(store.size).toBe(0);
    expect(await b.scan('0')).toEqual(['0', []]);
  });
});

describe('MemoryRedis script twins read numbers as Lua does', () => {
  it('luaToNumber accepts what tonumber does in Redis, and gives null where Lua gives nil', () => {
    const cases: [string | null | undefined, number | null][] = [
      ['3', 3],
      [' 3 ', 3],
      ['-2.5', -2.5],
      ['+4', 4],
      ['5.', 5],
      ['.5', 0.5],
      ['1e1', 10],
      ['0x10', 16],
      ['-0X1f', -31],
      ['inf', Infinity],
      ['-Infinity', -Infinity],
      ['', null],
      ['  ', null],
      ['abc', null],
      ['3abc', null],
      ['0b1', null],
      ['1_000', null],
      [null, null],
      [undefined, null],
    ];
    for (const [text, number] of cases) expect({ text, number: luaToNumber(text) }).toEqual({ text, number });
    expect(luaToNumber('nan')).toBeNaN();
  });

  it('luaLessThan compares numbers and raises as Lua does on nil', () => {
    expect(luaLessThan(1, 2)).toBe(true);
    expect(luaLessThan(2, 2)).toBe(false);
    expect(() => luaLessThan(null, 1)).toThrow('attempt to compare nil with number');
    expect(() => luaLessThan(0, null)).toThrow('attempt to compare number with nil');
    expect(() => luaLessThan(null, null)).toThrow('attempt to compare two nil values');
  });
});
