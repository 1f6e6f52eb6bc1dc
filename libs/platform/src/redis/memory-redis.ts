import Redis, { ReplyError } from 'ioredis';

/**
 * The JavaScript twin of a Lua script (see defineScript): it gets KEYS already prefixed, as the Lua
 * does, and ARGV as strings, and answers what the Lua returns. It runs to completion with nothing
 * else interleaved, which is what makes a Lua script atomic in Redis.
 */
export type InMemoryScript = (store: MemoryStore, keys: readonly string[], args: readonly string[]) => number | string | null;

/** What Redis accepts as an integer value for INCR and DECR: no sign but '-', no leading zeros, no spaces. */
const INTEGER = /^(0|-?[1-9]\d*)$/;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const SUPPORTED = 'GET, SET, MGET, EXISTS, INCR, DECR, SCAN, PING, QUIT, pipelines and the scripts registered with defineScript';

/** An error as Redis replies it, of ioredis's class, so callers see the same kind of error from both. */
function replyError(message: string): Error {
  return new ReplyError(message) as Error;
}

/** Something this stand-in does not do: thrown at the call, since carrying on would hide a difference from Redis. */
function unsupported(what: string): Error {
  return new Error(`MemoryRedis does not support ${what}; it answers ${SUPPORTED}`);
}

function arity(command: string, args: readonly string[], min: number, max = Infinity): void {
  if (args.length < min || args.length > max) throw replyError(`ERR wrong number of arguments for '${command}' command`);
}

/** Arguments as ioredis sends them: arrays flattened one level, null and undefined as '', anything else as its string. */
function toArgs(raw: readonly unknown[]): string[] {
  return raw.flat().map((arg) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'function') throw unsupported('callbacks (await the returned promise instead)');
    if (Buffer.isBuffer(arg)) throw unsupported('Buffer arguments');
    return arg == null ? '' : String(arg);
  });
}

/**
 * Redis's glob (stringmatchlen in its util.c, case-sensitive), ported step for step so SCAN's
 * MATCH selects exactly the keys Redis would: `*`, `?`, `[abc]`, `[^a-z]` (a reversed range
 * counts as the same range), `\` escaping the next character, and an unclosed `[` running to the
 * end of the pattern. It compares UTF-16 code units where Redis compares bytes: the same for ASCII keys.
 */
function globMatch(pattern: string, text: string, state = { giveUp: false }, nesting = 0): boolean {
  if (nesting > 1000) return false;
  let p = 0;
  let s = 0;
  while (p < pattern.length && s < text.length) {
    switch (pattern[p]) {
      case '*':
        while (pattern[p + 1] === '*') p++;
        if (p === pattern.length - 1) return true;
        for (; s < text.length; s++) {
          if (globMatch(pattern.slice(p + 1), text.slice(s), state, nesting + 1)) return true;
          // The rest of the pattern matched nowhere further on: longer matches of this star cannot help.
          if (state.giveUp) return false;
        }
        state.giveUp = true;
        return false;
      case '?':
        s++;
        break;
      case '[': {
        p++;
        const negate = pattern[p] === '^';
        if (negate) p++;
        let match = false;
        for (;;) {
          if (pattern[p] === '\\' && pattern.length - p >= 2) {
            p++;
            if (pattern[p] === text[s]) match = true;
          } else if (pattern[p] === ']') {
            break;
          } else if (p >= pattern.length) {
            p--;
            break;
          } else if (pattern.length - p >= 3 && pattern[p + 1] === '-') {
            const [low, high] = [pattern.charCodeAt(p), pattern.charCodeAt(p + 2)].sort((a, b) => a - b);
            const c = text.charCodeAt(s);
            p += 2;
            if (c >= low && c <= high) match = true;
          } else if (pattern[p] === text[s]) {
            match = true;
          }
          p++;
        }
        if (negate ? match : !match) return false;
        s++;
        break;
      }
      default:
        if (pattern[p] === '\\' && pattern.length - p >= 2) p++;
        if (pattern[p] !== text[s]) return false;
        s++;
    }
    p++;
    if (s === text.length) {
      while (pattern[p] === '*') p++;
      break;
    }
  }
  return p === pattern.length && s === text.length;
}

/**
 * The key space: string values under raw (already prefixed) keys, as in a Redis database holding
 * only strings. Its methods are the `redis.call`s a script makes, named alike, and throw what Redis
 * would reply. Each key keeps the order in which it was first set: that order is SCAN's cursor,
 * so a scan survives writes made between its calls.
 */
export class MemoryStore {
  private readonly entries = new Map<string, { value: string; order: number }>();
  private lastOrder = 0;

  get size(): number {
    return this.entries.size;
  }

  get(key: string): string | null {
    return this.entries.get(key)?.value ?? null;
  }

  set(key: string, value: string): 'OK' {
    // Reachable only from a script twin passing something else, where Lua would fail too.
    if (typeof value !== 'string') throw replyError('ERR Lua redis lib command arguments must be strings or integers');
    const entry = this.entries.get(key);
    if (entry) entry.value = value;
    else this.entries.set(key, { value, order: ++this.lastOrder });
    return 'OK';
  }

  exists(key: string): 0 | 1 {
    return this.entries.has(key) ? 1 : 0;
  }

  incr(key: string): number {
    return this.incrementBy(key, 1n);
  }

  decr(key: string): number {
    return this.incrementBy(key, -1n);
  }

  /** Empties the key space, as FLUSHDB would. */
  clear(): void {
    this.entries.clear();
  }

  /**
   * One SCAN step: looks at up to `count` keys set after the cursor's, and returns those matching
   * `match` with the cursor to continue from (0 once every key was looked at). As in Redis, a page
   * may hold fewer matches than `count`, even none, before the end; a key present for the whole
   * scan is returned once.
   */
  scan(cursor: number, count: number, match: string | null): [next: number, keys: string[]] {
    const keys: string[] = [];
    let looked = 0;
    let last = cursor;
    for (const [key, entry] of this.entries) {
      if (entry.order <= cursor) continue;
      if (looked === count) return [last, keys];
      looked++;
      last = entry.order;
      if (match === null || globMatch(match, key)) keys.push(key);
    }
    return [0, keys];
  }

  /** Redis keeps counters as 64-bit integers in text; BigInt keeps its range and its overflow error. */
  private incrementBy(key: string, by: bigint): number {
    const current = this.get(key) ?? '0';
    const value = INTEGER.test(current) ? BigInt(current) : undefined;
    if (value === undefined || value > INT64_MAX || value < INT64_MIN) throw replyError('ERR value is not an integer or out of range');
    const next = value + by;
    if (next > INT64_MAX || next < INT64_MIN) throw replyError('ERR increment or decrement would overflow');
    this.set(key, next.toString());
    return Number(next);
  }
}

/** Where a command runs: the shared store, seen through one client's key prefix. */
interface View {
  readonly store: MemoryStore;
  key(name: string): string;
}

function scan({ store }: View, args: readonly string[]): [string, string[]] {
  arity('scan', args, 1);
  const [cursor, ...options] = args;
  if (!/^\d+$/.test(cursor)) throw replyError('ERR invalid cursor');
  let match: string | null = null;
  let count = 10;
  let type: string | null = null;
  for (let i = 0; i < options.length; i += 2) {
    const [option, value] = [options[i].toLowerCase(), options[i + 1]];
    if (value === undefined) throw replyError('ERR syntax error');
    if (option === 'match') match = value;
    else if (option === 'type') type = value.toLowerCase();
    else if (option !== 'count') throw replyError('ERR syntax error');
    else if (!INTEGER.test(value)) throw replyError('ERR value is not an integer or out of range');
    else count = Number(value);
  }
  if (count < 1) throw replyError('ERR syntax error');
  const [next, keys] = store.scan(Number(cursor), count, match);
  // Every value here is a string, so a TYPE filter keeps all keys or none.
  return [String(next), type === null || type === 'string' ? keys : []];
}

/** The commands answered, on arguments as ioredis would send them; key arguments get the client's prefix. */
const COMMANDS: Record<string, (view: View, args: readonly string[]) => unknown> = {
  get: (v, args) => (arity('get', args, 1, 1), v.store.get(v.key(args[0]))),
  set: (v, args) => (arity('set', args, 2), v.store.set(v.key(args[0]), args[1])),
  mget: (v, args) => (arity('mget', args, 1), args.map((k) => v.store.get(v.key(k)))),
  exists: (v, args) => (arity('exists', args, 1), args.reduce((n, k) => n + v.store.exists(v.key(k)), 0)),
  incr: (v, args) => (arity('incr', args, 1, 1), v.store.incr(v.key(args[0]))),
  decr: (v, args) => (arity('decr', args, 1, 1), v.store.decr(v.key(args[0]))),
  scan,
  ping: (_v, args) => (arity('ping', args, 0, 1), args.length ? args[0] : 'PONG'),
  quit: (_v, args) => (arity('quit', args, 0, 0), 'OK'),
};

/** Commands whose keys are at fixed positions: how many (MGET's and EXISTS's arguments are all keys). */
const FIXED_KEYS: Record<string, number> = { get: 1, set: 1, incr: 1, decr: 1 };

/**
 * ioredis, when it has a key prefix, prefixes every key position a command declares, and a
 * missing key becomes the text 'undefined': `get()` reads `<prefix>undefined`, a script given too
 * few keys gets `<prefix>undefined` for the rest. Without a prefix the command reaches Redis as
 * called, and Redis refuses it.
 */
function fillMissingKeys(args: string[], keys: number, keyPrefix: string): string[] {
  return keyPrefix && args.length < keys ? [...args, ...Array<string>(keys - args.length).fill('undefined')] : args;
}

type Prepare = (command: string, args: readonly unknown[]) => () => unknown;

export interface MemoryRedisOptions {
  /** Put before every command's keys, like ioredis's option of the same name; not before SCAN's pattern or the keys it returns. */
  readonly keyPrefix?: string;
  /** The key space. Clients given one store share their data, as clients of one Redis do. */
  readonly store?: MemoryStore;
}

/**
 * An in-process stand-in for the ioredis client, for embedded mode where the services run in one
 * process without Redis. It answers the commands the services use with ioredis's replies and
 * Redis's errors (ReplyError with the same messages), applies the key prefix as ioredis does, and
 * runs each script's JavaScript twin in place of its Lua (see defineScript). Each command runs
 * whole when called, so it is atomic as in Redis; its reply still comes back through a promise,
 * as from ioredis. Any other command throws, naming itself.
 */
export class MemoryRedis {
  readonly store: MemoryStore;
  /** As ioredis exposes them; only the key prefix means anything here. */
  readonly options: { readonly keyPrefix: string };
  private readonly scripts = new Map<string, { numberOfKeys: number; run: InMemoryScript }>();
  private readonly view: View;

  constructor(options: MemoryRedisOptions = {}) {
    this.store = options.store ?? new MemoryStore();
    this.options = { keyPrefix: options.keyPrefix ?? '' };
    const prefix = this.options.keyPrefix;
    this.view = { store: this.store, key: (name) => prefix + name };
  }

  // Fixed-arity commands take every argument given at run time, so an extra one (a callback,
  // say) fails as it would in Redis instead of being dropped.
  get(key: string): Promise<string | null>;
  get(...args: unknown[]): Promise<string | null> {
    return this.send('get', args);
  }

  /** SET key value only: expiry and conditions (EX, NX, ...) throw, having no stand-in here. */
  set(key: string, value: string | number, ...options: (string | number)[]): Promise<'OK'> {
    return this.send('set', [key, value, ...options]);
  }

  mget(...keys: (string | readonly string[])[]): Promise<(string | null)[]> {
    return this.send('mget', keys);
  }

  /** How many of the keys exist, a key named twice counting twice. */
  exists(...keys: string[]): Promise<number> {
    return this.send('exists', keys);
  }

  incr(key: string): Promise<number>;
  incr(...args: unknown[]): Promise<number> {
    return this.send('incr', args);
  }

  decr(key: string): Promise<number>;
  decr(...args: unknown[]): Promise<number> {
    return this.send('decr', args);
  }

  /** SCAN cursor [MATCH pattern] [COUNT n] [TYPE type], over raw keys: the pattern and the keys returned carry the prefix. */
  scan(cursor: string | number, ...options: (string | number)[]): Promise<[cursor: string, keys: string[]]> {
    return this.send('scan', [cursor, ...options]);
  }

  ping(message?: string): Promise<string>;
  ping(...args: unknown[]): Promise<string> {
    return this.send('ping', args);
  }

  /** Answers as ioredis does, but the client stays usable: services sharing it each quit on shutdown, and its owner clears it. */
  quit(): Promise<'OK'>;
  quit(...args: unknown[]): Promise<'OK'> {
    return this.send('quit', args);
  }

  /** Empties the store (every client sharing it sees it empty). */
  clear(): void {
    this.store.clear();
  }

  /** Commands queued and run together on exec(), with ioredis's `[error, result]` replies. */
  pipeline(): MemoryPipeline {
    return new MemoryPipeline((command, args) => this.prepare(command, args), this.scripts.keys());
  }

  /** There is no Lua here: scripts are registered through defineScript, with their JavaScript twin. */
  defineCommand(name: string): never {
    throw unsupported(`defineCommand('${name}'), having no Lua: register the script with defineScript and its JavaScript twin`);
  }

  /**
   * Makes `name` a method of this client and of its pipelines created from now on, as ioredis's
   * defineCommand does: keys first, then arguments. Called through defineScript.
   */
  defineScriptTwin(name: string, numberOfKeys: number, run: InMemoryScript): void {
    if (name in this && !this.scripts.has(name)) throw new Error(`MemoryRedis: a script cannot be named '${name}', which is already a command`);
    this.scripts.set(name, { numberOfKeys, run });
    (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => this.send(name, args);
  }

  private send<T>(command: string, args: readonly unknown[]): Promise<T> {
    const run = this.prepare(command, args);
    return new Promise<T>((resolve) => resolve(run() as T));
  }

  /** Checks at once what this stand-in cannot do (throwing), and returns the command to run, which may fail as Redis would. */
  private prepare(command: string, raw: readonly unknown[]): () => unknown {
    const script = this.scripts.get(command);
    const args = fillMissingKeys(toArgs(raw), script?.numberOfKeys ?? FIXED_KEYS[command] ?? 0, this.options.keyPrefix);
    if (script) return () => this.runScript(command, script.numberOfKeys, script.run, args);
    if (command === 'set' && args.length > 2) throw unsupported(`SET with options (${args.slice(2).join(' ')})`);
    if (!Object.hasOwn(COMMANDS, command)) throw unsupported(command);
    return () => COMMANDS[command](this.view, args);
  }

  private runScript(name: string, numberOfKeys: number, run: InMemoryScript, args: readonly string[]): number | string | null {
    if (args.length < numberOfKeys) throw replyError("ERR Number of keys can't be greater than number of args");
    const keys = args.slice(0, numberOfKeys).map((k) => this.view.key(k));
    let result: number | string | null;
    try {
      result = run(this.store, keys, args.slice(numberOfKeys));
    } catch (error) {
      // A Lua error reaches the caller as an error reply; what the script wrote before it stays, as in Redis.
      throw error instanceof ReplyError ? error : replyError(`ERR ${name}: ${(error as Error).message}`);
    }
    // Redis turns a Lua number into an integer reply, dropping any fraction.
    return typeof result === 'number' ? Math.trunc(result) || 0 : result;
  }
}

/**
 * A MemoryRedis pipeline: commands queue and return the pipeline, and exec() runs them in order,
 * resolving to one `[error, result]` per command (`[error]` alone when it failed, as ioredis gives).
 */
export class MemoryPipeline {
  private readonly queue: (() => unknown)[] = [];

  constructor(
    private readonly prepare: Prepare,
    scripts: Iterable<string>,
  ) {
    for (const name of scripts) (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => this.add(name, args);
  }

  get(key: string): this;
  get(...args: unknown[]): this {
    return this.add('get', args);
  }

  set(key: string, value: string | number, ...options: (string | number)[]): this {
    return this.add('set', [key, value, ...options]);
  }

  mget(...keys: (string | readonly string[])[]): this {
    return this.add('mget', keys);
  }

  exists(...keys: string[]): this {
    return this.add('exists', keys);
  }

  incr(key: string): this;
  incr(...args: unknown[]): this {
    return this.add('incr', args);
  }

  decr(key: string): this;
  decr(...args: unknown[]): this {
    return this.add('decr', args);
  }

  scan(cursor: string | number, ...options: (string | number)[]): this {
    return this.add('scan', [cursor, ...options]);
  }

  ping(message?: string): this;
  ping(...args: unknown[]): this {
    return this.add('ping', args);
  }

  exec(): Promise<[error: Error | null, result: unknown][]> {
    const results = this.queue.splice(0).map((run): [Error | null, unknown] => {
      try {
        return [null, run()];
      } catch (error) {
        return [error as Error] as unknown as [Error, unknown];
      }
    });
    return Promise.resolve(results);
  }

  private add(command: string, args: readonly unknown[]): this {
    this.queue.push(this.prepare(command, args));
    return this;
  }
}

/**
 * Every other ioredis command (and its ...Buffer form) exists on the client and its pipelines and
 * throws, naming itself: the services hold the client typed as ioredis, so the compiler cannot
 * point out a command missing here, and the call must say so itself.
 */
function refuseOtherCommands(prototype: object): void {
  for (const command of Redis.prototype.getBuiltinCommands()) {
    for (const name of [command, `${command}Buffer`]) {
      if (name in prototype) continue;
      Object.defineProperty(prototype, name, {
        configurable: true,
        writable: true,
        value: () => {
          throw unsupported(name);
        },
      });
    }
  }
}
refuseOtherCommands(MemoryRedis.prototype);
refuseOtherCommands(MemoryPipeline.prototype);

/**
 * A MemoryRedis typed as the ioredis client the services inject (the REDIS token). The cast holds
 * for what they call: the commands above, pipelines, and scripts registered with defineScript;
 * anything else throws, naming the command.
 */
export function asIoredis(memory: MemoryRedis): Redis {
  return memory as unknown as Redis;
}
