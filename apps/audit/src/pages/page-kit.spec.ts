import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

interface PageKit {
  decodeJwtPayload(token: string): Record<string, unknown>;
  barChartSvg(options: { categories: string[]; series: { name: string; values: (number | null)[] }[]; max?: number }): string;
  jsonDiff(a: unknown, b: unknown): { path: string; from: unknown; to: unknown }[];
  escapeXml(text: string): string;
}

/** The very file the browser runs, evaluated in a fresh context with only what it needs from the host. */
function loadPageKit(): PageKit {
  const context: { PageKit?: PageKit; atob: typeof atob; TextDecoder: typeof TextDecoder } = { atob, TextDecoder };
  runInNewContext(readFileSync(join(__dirname, 'page-kit.js'), 'utf8'), context);
  if (!context.PageKit) throw new Error('page-kit.js did not define PageKit');
  return context.PageKit;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const bars = (svg: string) => svg.match(/<rect data-testid="chart-bar"[^>]*>/g) ?? [];

describe('page kit', () => {
  const kit = loadPageKit();

  it('decodes a JWT payload, base64url and UTF-8, without padding', () => {
    const token = `${base64url({ alg: 'HS256' })}.${base64url({ sub: 'w-ø1', role: 'worker' })}.sig`;
    expect(kit.decodeJwtPayload(token)).toEqual({ sub: 'w-ø1', role: 'worker' });
    expect(kit.decodeJwtPayload(`  ${token}\n`)).toMatchObject({ sub: 'w-ø1' });
  });

  it('refuses what is not a JWT', () => {
    expect(() => kit.decodeJwtPayload('abc')).toThrow(/three dot-separated parts/);
    expect(() => kit.decodeJwtPayload(`a.${base64url(7)}.c`)).toThrow(/not an object/);
  });

  it('draws one bar per series and category with a value, scaled to the largest', () => {
    const svg = kit.barChartSvg({ categories: ['quality', 'latency'], series: [{ name: 'me', values: [0.4, 0.2] }, { name: 'selected', values: [0.8, null] }] });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const drawn = bars(svg);
    expect(drawn).toHaveLength(3);
    const width = (i: number) => Number(/ width="(\d+)"/.exec(drawn[i])?.[1]);
    expect(width(1)).toBe(2 * width(0));
    expect(drawn[2]).toContain('data-category="latency"');
    expect(drawn[2]).toContain('data-series="me"');
  });

  it('escapes labels, so a group name cannot inject markup', () => {
    const svg = kit.barChartSvg({ categories: ['<script>"x"</script>'], series: [{ name: 'rate & co', values: [0.5] }], max: 1 });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;&quot;x&quot;');
    expect(svg).toContain('rate &amp; co');
  });

  it('lists every changed leaf between two policy documents by path', () => {
    const a = { version: 1, weights: { quality: 0.5, latency: 0.3, availability: 0.2 }, presence: { ttlSeconds: 60 } };
    const b = { version: 2, weights: { quality: 0.6, latency: 0.2, availability: 0.2 }, fairness: { newcomerShare: 0.1 } };
    expect(kit.jsonDiff(a, b)).toEqual([
      { path: 'fairness', from: null, to: { newcomerShare: 0.1 } },
      { path: 'presence', from: { ttlSeconds: 60 }, to: null },
      { path: 'version', from: 1, to: 2 },
      { path: 'weights.latency', from: 0.3, to: 0.2 },
      { path: 'weights.quality', from: 0.5, to: 0.6 },
    ]);
    expect(kit.jsonDiff(a, a)).toEqual([]);
  });
});
