/**
 * A YAML writer for JSON data (objects, arrays, strings, finite numbers, booleans, null): block
 * style, two-space indent, keys in insertion order, so the same value always gives the same text.
 * A string is written plain only when no YAML reader could take it for anything else; every other
 * string is written as a JSON string, which is also a YAML double-quoted scalar.
 */
export function toYaml(value: unknown): string {
  if (isCollection(value) && !isEmpty(value)) return `${block(value, 0).join('\n')}\n`;
  return `${scalar(value)}\n`;
}

type Collection = readonly unknown[] | Readonly<Record<string, unknown>>;

const INDENT = '  ';
/** Words a YAML 1.1 or 1.2 reader would turn into a boolean or null. */
const RESERVED = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', '~']);
// Inside a block-style plain scalar only ': ' and ' #' are special, and neither character is allowed here.
const PLAIN_TEXT = /^[A-Za-z][A-Za-z0-9 ._/()<>=+,;'-]*$/;
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_.$/-]*$/;

function block(value: Collection, depth: number): string[] {
  const pad = INDENT.repeat(depth);
  if (isList(value)) {
    return value.flatMap((item) => {
      if (!isCollection(item) || isEmpty(item)) return [`${pad}- ${scalar(item)}`];
      // The first line of a nested block goes after the dash; the rest line up with it.
      const [first, ...rest] = block(item, depth + 1);
      return [`${pad}- ${first.slice(pad.length + INDENT.length)}`, ...rest];
    });
  }
  return entries(value).flatMap(([key, item]) => {
    const name = `${pad}${plainOr(key, PLAIN_KEY)}:`;
    if (!isCollection(item) || isEmpty(item)) return [`${name} ${scalar(item)}`];
    return [name, ...block(item, depth + 1)];
  });
}

function scalar(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`YAML: ${value} is not a JSON number`);
    return String(value);
  }
  if (typeof value === 'string') return plainOr(value, PLAIN_TEXT);
  if (isList(value) && value.length === 0) return '[]';
  if (isCollection(value) && isEmpty(value)) return '{}';
  throw new Error(`YAML: cannot write a value of type ${typeof value}`);
}

function plainOr(text: string, plain: RegExp): string {
  const safe = plain.test(text) && !text.endsWith(' ') && !RESERVED.has(text.toLowerCase());
  return safe ? text : JSON.stringify(text);
}

/** Object entries as JSON.stringify sees them: keys whose value is `undefined` are left out. */
function entries(value: Readonly<Record<string, unknown>>): [string, unknown][] {
  return Object.entries(value).filter(([, item]) => item !== undefined);
}

function isCollection(value: unknown): value is Collection {
  return typeof value === 'object' && value !== null;
}

function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function isEmpty(value: Collection): boolean {
  return isList(value) ? value.length === 0 : entries(value).length === 0;
}
