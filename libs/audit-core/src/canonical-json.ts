/**
 * RFC 8785 JSON Canonicalization Scheme: object keys sorted by UTF-16 code units, no
 * whitespace, numbers and strings serialised as ECMAScript's JSON.stringify does (which is
 * exactly what the RFC specifies). Equal data always gives equal bytes, so hashes are stable.
 *
 * Written as one appending walk rather than nested map/join: every logged event passes through
 * here, and this halves its cost.
 */
export function canonicalJson(value: unknown): string {
  return write(value);
}

/** Characters JSON.stringify would escape (quote, backslash, controls, and any surrogate, in case it is lone). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal, identical to JSON.stringify's; most strings need no escaping, and skip its call. */
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function write(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          out += item === undefined || typeof item === 'function' ? 'null' : write(item);
        }
        return `${out}]`;
      }
      const source = value as Record<string, unknown>;
      if (typeof (source as { toJSON?: unknown }).toJSON === 'function') return write((source as { toJSON: () => unknown }).toJSON());
      // The default sort compares UTF-16 code units, which is the order RFC 8785 requires.
      const keys = Object.keys(source).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = source[key];
        if (member === undefined || typeof member === 'function') continue;
        if (!first) out += ',';
        first = false;
        out += `${quote(key)}:${write(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}
