/*
 * Hostile input for fuzz suites (fast-check): values an attacker, or a bug upstream, might put
 * anywhere in a message or a request body. Not exported from the package's index, so nothing
 * at run time loads fast-check: import it as `@clearwork/testing/hostile`.
 */
import fc from 'fast-check';

/** One nasty value: extreme numbers, odd unicode, huge strings and lists, prototype keys, random JSON. */
export const nasty = fc.oneof(
  fc.constantFrom(null, true, -1, -0, 0, 1e308, -1e308, 2 ** 53 + 1, 1.5, '', ' ', '\u0000', '\ud800', '\uffff', '👩‍👩‍👧', 'NaN', 'Infinity', '__proto__', 'constructor'),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constant('x'.repeat(100_000)),
  fc.constant(Array.from({ length: 10_000 }, (_, i) => i)),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted'), fc.jsonValue({ maxDepth: 2 })),
  fc.jsonValue({ maxDepth: 3 }),
);

/**
 * JSON texts that are not what JSON.stringify would write: malformed, numbers that overflow to
 * Infinity, prototype keys in the text itself, deep nesting, a lone surrogate escape.
 */
export const MALFORMED_JSON_TEXTS: readonly string[] = [
  '',
  '{',
  '{"a":1,}',
  "{'single':'quotes'}",
  'NaN',
  '{"n":NaN}',
  '{"n":1e999}',
  '{"n":-1e999}',
  '[1,2',
  'undefined',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '\u0000\u0001\u0002',
  '{"s":"\\ud800"}',
  `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
  '"just a string"',
  'null',
  '12345',
];

/** Every path to a value inside `value` (objects and arrays alike), for replacing one at a time. */
export function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))].filter((p) => p.length > 0);
}

/** Sets `path` in `target` to `value`; a key such as `__proto__` becomes an own property, as JSON.parse would make it. */
export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) return;
    node = next as Record<string, unknown>;
  }
  Object.defineProperty(node, path[path.length - 1], { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy of `valid` with the field chosen by `pick` (any integer) replaced by `value`. */
export function withOneFieldReplaced<T extends object>(valid: T, pick: number, value: unknown): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
  const all = pathsOf(copy);
  setPath(copy, all[Math.abs(pick) % all.length], value);
  return copy;
}
