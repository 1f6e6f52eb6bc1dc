import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './canonical-json';

/** The published RFC 8785 vectors live beside the repository and are never copied into it. */
const VECTORS = join(__dirname, '../../../../shared/vectors/rfc8785/testdata');
const haveVectors = existsSync(VECTORS);

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], '\u20ac': 1, '\ud83d\ude00': 2, '\u00e9': 3 })).toBe(
      '{"a":[true,null,"x"],"b":1,"é":3,"€":1,"😀":2}',
    );
  });

  it('serialises numbers as ECMAScript does and refuses non-finite ones', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333])).toBe('[1e+21,1e-7,0,0.30000000000000004,333333333.3333333]');
    expect(() => canonicalJson(NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ x: Infinity })).toThrow(TypeError);
  });

  if (!haveVectors) {
    it('needs the published vectors in ../shared/vectors/rfc8785 (absent in this checkout)', () => {
      console.warn(`RFC 8785 vectors not found at ${VECTORS}: the published-vector test was not run`);
    });
    return;
  }

  const inputs = readdirSync(join(VECTORS, 'input')).filter((f) => f.endsWith('.json'));
  it('finds the published vectors', () => expect(inputs.length).toBeGreaterThan(5));
  it.each(inputs)('canonicalises the published vector %s byte for byte', (file) => {
    const input = JSON.parse(readFileSync(join(VECTORS, 'input', file), 'utf8'));
    const expected = readFileSync(join(VECTORS, 'output', file));
    expect(Buffer.from(canonicalJson(input), 'utf8').equals(expected)).toBe(true);
  });
});
