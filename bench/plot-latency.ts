/*
 * Draws latency against offered rate from the throughput benchmark's results, as plain SVG.
 *   npx tsx bench/plot-latency.ts
 * Reads bench/results/throughput*.json (written by npx tsx bench/throughput.ts [--dispatchers 2])
 * and writes docs/latency-vs-throughput.svg: x = offered rate (tasks/s), y = end-to-end latency
 * (ms), both on log scales, one line per percentile (p50, p99, p99.9) for Clearwork and for the
 * bare Kafka passthrough, through every capacity-search step and load level (a level wins over
 * a step at the same rate). Steps the system did not keep up with are drawn as hollow points.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/environment';
import type { WindowResult } from './support/load-levels';
import type { PhaseResult } from './support/throughput-report';

interface Results {
  readonly environment: { readonly cpu: string; readonly cores: number };
  readonly dispatchers: number;
  readonly options?: { readonly workers?: number };
  readonly baseline: PhaseResult | null;
  readonly clearwork: PhaseResult;
}

interface Point {
  readonly rate: number;
  readonly ms: number;
  readonly kept: boolean;
}

interface Series {
  readonly label: string;
  readonly colour: string;
  readonly dash: string;
  readonly points: readonly Point[];
}

const RESULTS_DIR = join(ROOT, 'bench', 'results');
const OUT = join(ROOT, 'docs', 'latency-vs-throughput.svg');
const PERCENTILES = [
  { key: 'p50Ms', label: 'p50', dash: '' },
  { key: 'p99Ms', label: 'p99', dash: '8 4' },
  { key: 'p999Ms', label: 'p99.9', dash: '2 3' },
] as const;
const COLOURS = { clearwork: ['#1f5fbf', '#7b3fb5', '#0f8a6a'], passthrough: ['#c2571a', '#9a7b16', '#b3263e'] };
const [WIDTH, HEIGHT] = [1040, 600];
const PLOT = { left: 80, right: 330, top: 60, bottom: 70 };

/** One point per rate: a level (held longer) wins over a capacity-search step at the same rate. */
function points(phase: PhaseResult, key: (typeof PERCENTILES)[number]['key']): Point[] {
  const byRate = new Map<number, WindowResult>();
  for (const w of [...phase.steps, ...phase.levels]) if (w.endToEnd.count > 0) byRate.set(w.rate, w);
  return [...byRate.values()].sort((a, b) => a.rate - b.rate).map((w) => ({ rate: w.rate, ms: Math.max(0.1, w.endToEnd[key]), kept: w.kind === 'level' || w.kept }));
}

function seriesOf(results: Results, index: number): Series[] {
  const workers = results.options?.workers;
  const who = [workers ? `${workers.toLocaleString('en-US')} workers` : '', results.dispatchers > 1 ? `${results.dispatchers} dispatchers` : ''].filter(Boolean).join(', ');
  const out: Series[] = [];
  const systems = [
    { name: who ? `Clearwork (${who})` : 'Clearwork', phase: results.clearwork, colour: COLOURS.clearwork[index % 3] },
    ...(results.baseline ? [{ name: 'passthrough', phase: results.baseline, colour: COLOURS.passthrough[index % 3] }] : []),
  ];
  for (const s of systems) {
    for (const p of PERCENTILES) out.push({ label: `${s.name} ${p.label}`, colour: s.colour, dash: p.dash, points: points(s.phase, p.key) });
  }
  return out;
}

/** Log-scale axis over whole decades covering `values`. */
function logAxis(values: readonly number[], from: number, to: number) {
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
  const at = (v: number) => from + ((Math.log10(v) - lo) / (hi - lo)) * (to - from);
  const decades = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
  return { at, decades };
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmtRate = (v: number) => (v >= 1_000 ? `${v / 1_000}k` : String(v));
const fmtMs = (v: number) => (v >= 1_000 ? `${v / 1_000} s` : `${v} ms`);

function draw(series: readonly Series[], subtitle: string): string {
  const all = series.flatMap((s) => s.points);
  const x = logAxis(all.map((p) => p.rate), PLOT.left, WIDTH - PLOT.right);
  const y = logAxis([...all.map((p) => p.ms), 50], HEIGHT - PLOT.bottom, PLOT.top);
  const [x0, x1, y0, y1] = [PLOT.left, WIDTH - PLOT.right, HEIGHT - PLOT.bottom, PLOT.top];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${x0}" y="24" font-size="16" font-weight="bold">End-to-end latency against offered load (open loop, coordinated omission corrected)</text>`,
    `<text x="${x0}" y="42" fill="#555">${escape(subtitle)}</text>`,
  ];
  for (const d of x.decades) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (x.at(v) > x1 + 0.5) continue;
      out.push(`<line x1="${x.at(v)}" y1="${y0}" x2="${x.at(v)}" y2="${y1}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`, `<text x="${x.at(v)}" y="${y0 + 18}" text-anchor="middle">${fmtRate(v)}</text>`);
    }
  }
  for (const d of y.decades) {
    out.push(`<line x1="${x0}" y1="${y.at(d)}" x2="${x1}" y2="${y.at(d)}" stroke="#ccc"/>`, `<text x="${x0 - 8}" y="${y.at(d) + 4}" text-anchor="end">${fmtMs(d)}</text>`);
  }
  out.push(
    `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#333"/>`,
    `<text x="${(x0 + x1) / 2}" y="${HEIGHT - 24}" text-anchor="middle">offered rate, tasks/s (log scale)</text>`,
    `<text transform="translate(22 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">end-to-end latency (log scale)</text>`,
  );
  // The product's latency target: p99 at most 50 ms at 2,000 tasks/s.
  const [tx, ty] = [x.at(2_000), y.at(50)];
  if (tx >= x0 && tx <= x1) out.push(`<path d="M ${tx - 6} ${ty} L ${tx} ${ty - 6} L ${tx + 6} ${ty} L ${tx} ${ty + 6} Z" fill="none" stroke="#d00" stroke-width="2"/>`, `<text x="${tx + 9}" y="${ty - 8}" fill="#d00">target: p99 50 ms at 2k/s</text>`);
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const path = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'} ${x.at(p.rate).toFixed(1)} ${y.at(p.ms).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="2" stroke-dasharray="${s.dash}"/>`);
    for (const p of s.points) out.push(`<circle cx="${x.at(p.rate).toFixed(1)}" cy="${y.at(p.ms).toFixed(1)}" r="3" fill="${p.kept ? s.colour : 'white'}" stroke="${s.colour}"/>`);
    const ly = PLOT.top + 10 + i * 20;
    out.push(`<line x1="${x1 + 16}" y1="${ly}" x2="${x1 + 46}" y2="${ly}" stroke="${s.colour}" stroke-width="2" stroke-dasharray="${s.dash}"/>`, `<text x="${x1 + 52}" y="${ly + 4}">${escape(s.label)}</text>`);
  });
  const noteY = PLOT.top + 20 + series.length * 20;
  out.push(`<circle cx="${x1 + 31}" cy="${noteY}" r="3" fill="white" stroke="#333"/>`, `<text x="${x1 + 52}" y="${noteY + 4}">step not kept up</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}

function main(): void {
  let files: string[] = [];
  try {
    files = readdirSync(RESULTS_DIR).filter((f) => /^throughput.*\.json$/.test(f)).sort();
  } catch {
    // no results directory yet: reported below
  }
  if (files.length === 0) {
    console.error(`plot-latency: no ${RESULTS_DIR}/throughput*.json; run npx tsx bench/throughput.ts first`);
    process.exit(2);
  }
  const loaded = files.map((f) => ({ file: f, results: JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as Results }));
  const series = loaded.flatMap(({ results }, i) => seriesOf(results, i));
  if (series.every((s) => s.points.length === 0)) {
    console.error('plot-latency: the results hold no latency measurements');
    process.exit(2);
  }
  const env = loaded[0].results.environment;
  const subtitle = `${files.join(', ')} — ${env.cpu} x ${env.cores}; hollow points: capacity-search steps that did not keep up`;
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  writeFileSync(OUT, draw(series, subtitle));
  console.log(OUT.slice(ROOT.length + 1));
}

main();
