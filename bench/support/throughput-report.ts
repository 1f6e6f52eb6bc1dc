import type { DispatchChecks } from './dispatch-checks';
import type { WindowResult } from './load-levels';
import { GENERATOR_BEHIND_MS } from './load-levels';
import { printTable, thousands, type TargetResult } from './report';

/** One system's run: its capacity search, the levels held, and what it published. */
export interface PhaseResult {
  readonly system: 'passthrough' | 'clearwork';
  readonly capacity: number;
  readonly steps: readonly WindowResult[];
  readonly levels: readonly WindowResult[];
  readonly posted: number;
  readonly unansweredAtEnd: number;
  readonly offerEvents: Record<string, number>;
  /** Offer events published again under an eventId already seen, by type (consumers drop them; counted, not judged). */
  readonly repeatedOfferEvents: Record<string, number>;
  readonly generatorSendErrors: number;
}

/** The throughput targets of the product, and the run's correctness checks. */
export const TARGET_RATE = 5_000;
export const TARGET_SHARE_OF_PASSTHROUGH = 0.5;
export const LATENCY_TARGET = { rate: 2_000, p99Ms: 50 };

const worstLag = (r: WindowResult) =>
  Object.entries(r.lagMax)
    .map(([g, l]) => `${g} ${thousands(l)}/${thousands(r.lagBound[g])}`)
    .join(', ');

export function printSteps(phases: readonly PhaseResult[]): void {
  const rows = phases.flatMap((p) =>
    p.steps.map((s) => [p.system, s.rate, s.posted, s.waited, s.unanswered, s.endToEnd.p50Ms, s.endToEnd.p99Ms, s.endToEnd.maxMs, s.decision.p99Ms, s.generatorLag.p99Ms, worstLag(s), s.kept ? 'kept up' : `no: ${s.reasons.join('; ')}`]),
  );
  printTable(['system', 'rate/s', 'posted', 'waited', 'unanswered', 'e2e p50 ms', 'e2e p99 ms', 'e2e max ms', 'decision p99 ms', 'gen lag p99 ms', 'max lag / bound (msgs)', 'verdict'], rows);
  printCpu(phases);
}

const CPU_GROUPS = ['dispatcher', 'scoring', 'audit', 'postgres', 'kafka', 'redis', 'passthrough', 'bench', 'total'];

/** CPU per process group over each step's measured half, in cores (read from /proc). */
function printCpu(phases: readonly PhaseResult[]): void {
  const rows = phases.flatMap((p) => p.steps.map((s) => [p.system, s.rate, ...CPU_GROUPS.map((g) => s.cpu?.[g] ?? '-')]));
  printTable(['CPU, cores', 'rate/s', ...CPU_GROUPS], rows);
}

export function printLevels(phases: readonly PhaseResult[]): void {
  const rows = phases.flatMap((p) =>
    p.levels.map((l) => [
      p.system, l.label, l.rate, l.posted, l.waited, l.unanswered,
      l.endToEnd.p50Ms, l.endToEnd.p99Ms, l.endToEnd.p999Ms, l.endToEnd.maxMs,
      l.decision.p50Ms, l.decision.p99Ms, l.decision.p999Ms, l.decision.maxMs,
      l.takenUp?.p50Ms ?? '-', l.takenUp?.p99Ms ?? '-', l.delivered?.p50Ms ?? '-', l.delivered?.p99Ms ?? '-',
      l.generatorLag.p99Ms,
    ]),
  );
  printTable(
    ['system', 'level', 'rate/s', 'posted', 'waited', 'unanswered', 'e2e p50', 'e2e p99', 'e2e p99.9', 'e2e max', 'decision p50', 'decision p99', 'decision p99.9', 'decision max', 'taken up p50', 'taken up p99', 'delivered p50', 'delivered p99', 'gen lag p99'],
    rows,
  );
  console.log('(latencies in ms; end to end = first OfferMade consumed minus the task\'s intended send time; decision = OfferMade CreateTime minus its occurredAt;\n' +
      ' taken up = OfferMade occurredAt minus the intended send time; delivered = consumed minus the OfferMade\'s CreateTime, both for tasks first answered by an offer)');
}

export function printChecks(checks: DispatchChecks): void {
  printTable(
    ['tasks', 'offers', 'assignments', 'workers offered work', 'workers over capacity', 'peak share of capacity', 'replicas offered twice at once', 'same worker twice on a task', 'replica states at the end'],
    [[checks.tasks, checks.offers, checks.assignments, checks.workersWithOffers, checks.overCapacity.length, `${Math.round(checks.peakCapacityShare * 100)}%`, checks.replicasDoublyOffered, checks.sameWorkerTwice, Object.entries(checks.replicaStates).map(([s, n]) => `${s} ${n}`).join(', ')]],
  );
}

/** Judges the run against the product's throughput targets and the dispatch invariants. */
export function judge(o: {
  baseline: PhaseResult | null;
  clearwork: PhaseResult;
  checks: DispatchChecks;
  verify: { status: number; body: { ok?: boolean; entries?: number } | null };
}): TargetResult[] {
  const { baseline, clearwork, checks, verify } = o;
  const atTarget = clearwork.levels.find((l) => l.rate === LATENCY_TARGET.rate);
  const windows = [baseline, clearwork].flatMap((p) => (p ? [...p.steps.filter((s) => s.kept), ...p.levels].map((w) => ({ ...w, label: `${p.system} ${w.label}` })) : []));
  const behind = windows.filter((w) => w.generatorBehind);
  return [
    { target: `Clearwork sustains at least ${thousands(TARGET_RATE)} tasks/s`, measured: `${thousands(clearwork.capacity)} tasks/s`, pass: clearwork.capacity >= TARGET_RATE },
    {
      target: `Clearwork sustains at least ${TARGET_SHARE_OF_PASSTHROUGH * 100}% of the bare Kafka passthrough`,
      measured: baseline
        ? `${baseline.capacity > 0 ? ((100 * clearwork.capacity) / baseline.capacity).toFixed(1) : '-'}% (${thousands(clearwork.capacity)} of ${thousands(baseline.capacity)} tasks/s)`
        : 'not measured (--skip-baseline)',
      pass: baseline !== null && baseline.capacity > 0 && clearwork.capacity >= baseline.capacity * TARGET_SHARE_OF_PASSTHROUGH,
    },
    {
      target: `p99 end to end at most ${LATENCY_TARGET.p99Ms} ms at ${thousands(LATENCY_TARGET.rate)} tasks/s`,
      measured: atTarget ? `${atTarget.endToEnd.p99Ms} ms` : `not reached (capacity ${thousands(clearwork.capacity)} tasks/s)`,
      pass: atTarget !== undefined && atTarget.endToEnd.p99Ms <= LATENCY_TARGET.p99Ms,
    },
    {
      target: 'every task posted was answered (an offer, or waiting / unassignable) and stored',
      measured: `${thousands(clearwork.unansweredAtEnd)} of ${thousands(clearwork.posted)} without an answer; ${thousands(checks.tasks)} stored`,
      pass: clearwork.unansweredAtEnd === 0 && checks.tasks === clearwork.posted,
    },
    {
      target: 'no worker ever held more open offers and assignments than their capacity',
      measured: `${thousands(checks.overCapacity.length)} of ${thousands(checks.workersWithOffers)} workers over; peak ${Math.round(checks.peakCapacityShare * 100)}% of capacity`,
      pass: checks.overCapacity.length === 0,
    },
    { target: 'no task replica offered to two workers at once', measured: `${thousands(checks.replicasDoublyOffered)} replicas`, pass: checks.replicasDoublyOffered === 0 },
    { target: 'the replicas of a task go to distinct workers', measured: `${thousands(checks.sameWorkerTwice)} tasks with a worker twice`, pass: checks.sameWorkerTwice === 0 },
    {
      target: `the load generator kept to its schedule (p99 send lag at most ${GENERATOR_BEHIND_MS} ms in every level and kept step)`,
      measured: behind.length === 0 ? `worst p99 ${Math.max(0, ...windows.map((w) => w.generatorLag.p99Ms))} ms` : `behind in ${behind.map((w) => w.label).join(', ')}`,
      pass: behind.length === 0,
    },
    { target: 'the audit log verifies', measured: `HTTP ${verify.status}, ok ${verify.body?.ok}, ${thousands(verify.body?.entries ?? 0)} entries`, pass: verify.body?.ok === true },
  ];
}
