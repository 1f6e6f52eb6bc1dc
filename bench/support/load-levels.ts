import type { ConsumerLag } from './consumer-lag';
import type { LatencySummary, OpenLoopGenerator } from '@clearwork/testing';
import { cpuShares, cpuSnapshot } from './process-cpu';
import { progress, thousands } from './report';

/** What the capacity search tries, in tasks per second (capped by --max-rate). */
export const RATE_STEPS = [5, 10, 20, 50, 100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 50_000];
/** Kept up: p99 end to end at most this. */
export const KEPT_UP_P99_MS = 1_000;
/** Kept up: each consumer group at most this many seconds of its traffic behind (never less than LAG_FLOOR messages). */
export const KEPT_UP_LAG_SECONDS = 2;
const LAG_FLOOR = 100;
/** How long a window's last tasks may take to be answered after posting stops. */
const GRACE_MS = 2_000;
const LAG_SAMPLE_MS = 2_000;
/** The generator fell behind when its p99 send lag exceeded this: the figures then understate the system. */
export const GENERATOR_BEHIND_MS = 50;
const DRAIN_SECONDS = 180;

/** A system the generator drives: its name, the generator measuring it and its consumer groups. */
export interface SystemUnderTest {
  readonly name: string;
  readonly generator: OpenLoopGenerator;
  readonly lag: ConsumerLag;
}

/** One window's figures; `kept` and `reasons` judge a capacity-search step. */
export interface WindowResult {
  readonly label: string;
  readonly kind: 'step' | 'level';
  readonly rate: number;
  readonly seconds: number;
  readonly measuredSeconds: number;
  readonly posted: number;
  readonly answered: number;
  readonly waited: number;
  readonly unanswered: number;
  readonly offersMade: number;
  readonly endToEnd: LatencySummary;
  readonly decision: LatencySummary;
  /** End to end's two other parts, for tasks first answered by an offer (see LoadWindow.takenUp); absent in results written before. */
  readonly takenUp?: LatencySummary;
  readonly delivered?: LatencySummary;
  readonly generatorLag: LatencySummary;
  readonly generatorBehind: boolean;
  readonly lagMax: Record<string, number>;
  readonly lagBound: Record<string, number>;
  readonly trafficPerSecond: Record<string, number>;
  readonly benchCpuShare: number;
  /** Share of a core each process group used over the measured part (services, PostgreSQL, broker, Redis, this process), and their total. */
  readonly cpu: Record<string, number>;
  readonly kept: boolean;
  readonly reasons: readonly string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Holds `rate` for `seconds`: the first `warmupSeconds` settle, the rest are measured (latency,
 * consumer lag sampled every 2 s, traffic per group). Then posting stops, the window's last
 * tasks get GRACE_MS to be answered, and the window is judged.
 */
export async function runWindow(sut: SystemUnderTest, w: { label: string; kind: 'step' | 'level'; rate: number; seconds: number; warmupSeconds: number }): Promise<WindowResult> {
  const window = sut.generator.begin(w.label, w.rate, w.warmupSeconds * 1_000);
  await sleep(w.warmupSeconds * 1_000);
  const endsBefore = await sut.lag.ends();
  const cpuBefore = cpuSnapshot();
  const measuredFrom = Date.now();
  const end = measuredFrom + (w.seconds - w.warmupSeconds) * 1_000;
  const lagMax: Record<string, number> = {};
  while (Date.now() < end) {
    await sleep(Math.min(LAG_SAMPLE_MS, end - Date.now()));
    for (const [group, lag] of Object.entries(await sut.lag.lag())) lagMax[group] = Math.max(lagMax[group] ?? 0, lag);
  }
  const cpu = cpuShares(cpuBefore, cpuSnapshot());
  sut.generator.stopPosting();
  const measuredSeconds = (Date.now() - measuredFrom) / 1_000;
  const trafficPerSecond = sut.lag.traffic(endsBefore, await sut.lag.ends(), measuredSeconds);
  await sut.generator.finish(window, GRACE_MS);
  const lagBound = Object.fromEntries(Object.entries(trafficPerSecond).map(([g, t]) => [g, Math.max(LAG_FLOOR, Math.round(t * KEPT_UP_LAG_SECONDS))]));
  const endToEnd = window.endToEnd.summary();
  const generatorLag = window.generatorLag.summary();
  const reasons: string[] = [];
  if (window.unanswered > 0) reasons.push(`${thousands(window.unanswered)} of ${thousands(window.posted)} tasks unanswered`);
  if (endToEnd.p99Ms > KEPT_UP_P99_MS) reasons.push(`p99 ${thousands(endToEnd.p99Ms)} ms > ${thousands(KEPT_UP_P99_MS)} ms`);
  for (const [g, lag] of Object.entries(lagMax)) if (lag > lagBound[g]) reasons.push(`${g} lag ${thousands(lag)} > ${thousands(lagBound[g])}`);
  return {
    label: w.label,
    kind: w.kind,
    rate: w.rate,
    seconds: w.seconds,
    measuredSeconds,
    posted: window.posted,
    answered: window.answered,
    waited: window.waited,
    unanswered: window.unanswered,
    offersMade: window.offersMade,
    endToEnd,
    decision: window.decision.summary(),
    takenUp: window.takenUp.summary(),
    delivered: window.delivered.summary(),
    generatorLag,
    generatorBehind: generatorLag.p99Ms > GENERATOR_BEHIND_MS,
    lagMax,
    lagBound,
    trafficPerSecond,
    benchCpuShare: Math.round(window.cpuShare * 100) / 100,
    cpu,
    kept: reasons.length === 0,
    reasons,
  };
}

function describe(sut: SystemUnderTest, r: WindowResult): string {
  const lag = Object.entries(r.lagMax).map(([g, l]) => `${g} ${thousands(l)}/${thousands(r.lagBound[g])}`).join(', ');
  return (
    `[${sut.name}] ${r.label}: posted ${thousands(r.posted)}, waited ${thousands(r.waited)}, unanswered ${thousands(r.unanswered)}; ` +
    `end to end p50 ${r.endToEnd.p50Ms} / p99 ${r.endToEnd.p99Ms} / max ${r.endToEnd.maxMs} ms; decision p99 ${r.decision.p99Ms} ms (taken up ${r.takenUp?.p99Ms}, delivered ${r.delivered?.p99Ms}); ` +
    `max lag ${lag}; generator lag p99 ${r.generatorLag.p99Ms} ms${r.generatorBehind ? ' (BEHIND)' : ''}, bench CPU ${Math.round(r.benchCpuShare * 100)}%; ` +
    `CPU (cores) ${Object.entries(r.cpu).map(([g, c]) => `${g} ${c}`).join(', ')}`
  );
}

/** Waits for every group to catch up; a system that cannot is not keeping up. */
async function drain(sut: SystemUnderTest): Promise<boolean> {
  const drained = await sut.lag.drain(DRAIN_SECONDS);
  if (!drained) progress(`[${sut.name}] consumer groups still behind after ${DRAIN_SECONDS} s: ${JSON.stringify(await sut.lag.lag())}`);
  return drained;
}

/**
 * Steps the rate up until the system stops keeping up (every task of the step answered, p99 end
 * to end within KEPT_UP_P99_MS and every group's lag within KEPT_UP_LAG_SECONDS of its traffic,
 * over the second half of the step), then bisects between the last rate kept and the first
 * failed. Returns the highest rate sustained and every step.
 */
export async function searchCapacity(sut: SystemUnderTest, o: { stepSeconds: number; maxRate: number; bisections: number }): Promise<{ capacity: number; steps: WindowResult[] }> {
  const steps: WindowResult[] = [];
  let capacity = 0;
  let failed: number | null = null;
  const attempt = async (rate: number): Promise<boolean> => {
    // A step that fell behind leaves a backlog; the next one (a bisection) starts once it is gone,
    // or it would be judged on the failed step's traffic too.
    if (failed !== null && !(await sut.lag.drain(3 * DRAIN_SECONDS))) progress(`[${sut.name}] the backlog of the failed step is not consumed after ${3 * DRAIN_SECONDS} s; the next step inherits it`);
    const r = await runWindow(sut, { label: `step ${thousands(rate)}/s`, kind: 'step', rate, seconds: o.stepSeconds, warmupSeconds: o.stepSeconds / 2 });
    const drained = await drain(sut);
    const result = drained ? r : { ...r, kept: false, reasons: [...r.reasons, `did not drain within ${DRAIN_SECONDS} s`] };
    steps.push(result);
    progress(`${describe(sut, result)} -> ${result.kept ? 'kept up' : `fell behind (${result.reasons.join('; ')})`}`);
    return result.kept;
  };
  for (const rate of RATE_STEPS.filter((r) => r <= o.maxRate)) {
    if (!(await attempt(rate))) {
      failed = rate;
      break;
    }
    capacity = rate;
  }
  for (let i = 0; i < o.bisections && failed !== null && capacity > 0; i++) {
    const mid = roundRate((capacity + failed) / 2);
    if (mid <= capacity || mid >= failed) break;
    if (await attempt(mid)) capacity = mid;
    else failed = mid;
  }
  return { capacity, steps };
}

/** Rounds a rate to two significant figures, so bisected rates read plainly. */
function roundRate(rate: number): number {
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(rate)) - 1);
  return Math.round(rate / unit) * unit;
}

/** The load levels held, as shares of the capacity measured. */
export const LEVEL_SHARES = [0.25, 0.5, 0.75, 0.9];

/** Holds each level for `levelSeconds` (after a warm-up of a quarter of it, at most 10 s) and drains between them. */
export async function holdLevels(sut: SystemUnderTest, levels: readonly { label: string; rate: number }[], levelSeconds: number): Promise<WindowResult[]> {
  const results: WindowResult[] = [];
  const warmupSeconds = Math.min(10, levelSeconds / 4);
  for (const level of levels) {
    const r = await runWindow(sut, { label: level.label, kind: 'level', rate: level.rate, seconds: levelSeconds, warmupSeconds });
    results.push(r);
    progress(describe(sut, r));
    await drain(sut);
  }
  return results;
}
