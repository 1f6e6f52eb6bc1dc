import type Redis from 'ioredis';
import { MemoryRedis, type InMemoryScript } from './memory-redis';

/**
 * A Lua script and its JavaScript twin. Redis runs the Lua; MemoryRedis, which has no Lua, runs
 * the twin on its store. Keep the two side by side where the script is defined: they must give
 * the same replies and errors for the same keys and arguments, which test/state-store.e2e-spec.ts
 * checks against a real Redis.
 */
export interface RedisScript {
  readonly numberOfKeys: number;
  readonly lua: string;
  readonly inMemory: InMemoryScript;
}

/**
 * Registers `script` as the command `name` of the client, whichever it is: a method of the client
 * and of its pipelines, called with the keys first and then the arguments (which reach the script
 * as strings).
 */
export function defineScript(redis: Redis | MemoryRedis, name: string, script: RedisScript): void {
  if (redis instanceof MemoryRedis) redis.defineScriptTwin(name, script.numberOfKeys, script.inMemory);
  else redis.defineCommand(name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
}

const SPACE = '[ \\t\\n\\v\\f\\r]*';
const DECIMAL = new RegExp(`^${SPACE}[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?${SPACE}$`);
const HEX = new RegExp(`^${SPACE}[+-]?0[xX][0-9a-fA-F]+${SPACE}$`);
const NAMED = new RegExp(`^${SPACE}([+-]?)(inf|infinity|nan)${SPACE}$`, 'i');

/**
 * Lua's `tonumber` of a string as the Lua in Redis reads it (through C's strtod): decimals with an
 * optional exponent, hex integers, inf and nan, with spaces around; null where Lua gives nil (and
 * for nil itself, a missing argument). Arguments reach a script as text, so a twin reads its
 * numbers through this to accept and refuse what the Lua does.
 */
export function luaToNumber(text: string | null | undefined): number | null {
  if (text == null) return null;
  if (DECIMAL.test(text)) return Number(text);
  if (HEX.test(text)) return parseInt(text.trim(), 16);
  const named = NAMED.exec(text);
  if (!named) return null;
  if (named[2].toLowerCase() === 'nan') return NaN;
  return named[1] === '-' ? -Infinity : Infinity;
}

/**
 * Lua's `a < b` on what tonumber gave: a nil operand raises the error Lua raises. Lua evaluates
 * `a > b` as `b < a`, so a twin writes it that way to name the operands in the same order.
 */
export function luaLessThan(a: number | null, b: number | null): boolean {
  if (a === null && b === null) throw new Error('attempt to compare two nil values');
  if (a === null || b === null) throw new Error(`attempt to compare ${a === null ? 'nil' : 'number'} with ${b === null ? 'nil' : 'number'}`);
  return a < b;
}
