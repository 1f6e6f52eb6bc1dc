/*
 * Throughput and latency of the whole engine under open-loop load, against a bare Kafka
 * passthrough measured with the same generator in the same run.
 *   npx tsx bench/throughput.ts [--workers 20000] [--step-seconds 20] [--level-seconds 60]
 *     [--dispatchers 1] [--seed 1] [--max-rate 50000] [--bisect 2] [--skip-baseline] [--help]
 *   npx tsx bench/plot-latency.ts      (then draws docs/latency-vs-throughput.svg from the results)
 * A generator posts TaskPosted events at a fixed rate (open loop: each task's latency counts
 * from its intended time on the schedule, so a late send counts against the system) while the
 * simulated workforce of @clearwork/testing (seeded: Zipf-drawn skills, capacities 1-3,
 * languages; 85% of offers accepted, 10% declined, the rest left to expire) answers, works and
 * heartbeats. For each system, first the capacity (rates stepped up, each step judged on its
 * second half: every task answered, p99 end to end within 1 s, every consumer group within 2 s
 * of its traffic; then bisected), then latency held at 25, 50, 75 and 90% of it (and at
 * 2,000 tasks/s when reached), recorded in HdrHistograms:
 *   end to end = the task's first OfferMade (or TaskWaiting) consumed here minus its intended send time;
 *   decision   = an OfferMade's Kafka CreateTime minus its occurredAt (task taken up to offer published).
 * The passthrough runs first, on its own consumer group (the engine's groups start at the topics'
 * ends, so they never see its traffic). After the engine's run the dispatcher's tables are
 * checked (no worker over capacity, no replica offered twice at once) and the audit log verified.
 * Needs Kafka, PostgreSQL and Redis (bash scripts/infra.sh up) and a build (npm run build).
 * Results: tables and targets on stdout, progress on stderr, JSON in bench/results/throughput.json
 * (throughput-<n>-dispatchers.json with --dispatchers n > 1). Exit status: 0 when every target
 * passed, 1 when not, 2 when the run could not be made.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TOPICS } from '@clearwork/contracts';
import { WorkforceSimulation } from '@clearwork/testing';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Client } from 'pg';
import { Engine } from '../test/support/engine';
import { onInterrupt } from './support/interrupt';
import { parseOptions, reproduceCommand, type ParsedOptions } from './support/cli';
import { ConsumerLag } from './support/consumer-lag';
import { checkDispatch } from './support/dispatch-checks';
import { describeEnvironment, KAFKA_BROKER, printEnvironment, ROOT } from './support/environment';
import { holdLevels, LEVEL_SHARES, RATE_STEPS, searchCapacity, type SystemUnderTest } from './support/load-levels';
import { commitTopicEnds } from '../test/support/kafka-offsets';
import { PassthroughProcess } from './support/passthrough';
import { printTable, printTargets, progress, thousands, writeJson } from './support/report';
import { bringOnline, engineLag } from './support/workforce';
import { OpenLoopGenerator, SimulatedWorkers } from '@clearwork/testing';
import { judge, LATENCY_TARGET, printChecks, printLevels, printSteps, type PhaseResult } from './support/throughput-report';

const SPEC = {
  script: 'bench/throughput.ts',
  summary: 'The engine under open-loop load: highest sustained rate, and latency at 25-90% of it, against a bare Kafka passthrough.',
  options: {
    workers: { default: 20_000, min: 10, help: 'simulated online workers (each heartbeats once a minute)' },
    'step-seconds': { default: 20, min: 4, help: 'length of each capacity-search step (its second half is judged)' },
    'level-seconds': { default: 60, min: 8, help: 'how long each latency level is held (after a warm-up of a quarter, at most 10 s)' },
    dispatchers: { default: 1, min: 1, help: 'dispatcher processes in the consumer group' },
    seed: { default: 1, help: 'seed of the simulated workforce and task stream' },
    'max-rate': { default: 50_000, min: RATE_STEPS[0], help: 'highest rate the capacity search tries, tasks/s' },
    bisect: { default: 2, help: 'bisection steps between the last rate kept and the first failed' },
    'keep-database': { default: 0, help: '1 leaves the scratch database in place at the end and prints its name (bench/write-floor.ts reads it)' },
    'skip-baseline': { default: 0, help: '1 skips the passthrough: for development only, no ratio is reported' },
  },
};
type Options = ParsedOptions<typeof SPEC.options>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a phase's generator counted over the whole phase. */
function generatorTotals(generator: OpenLoopGenerator) {
  return { posted: generator.postedTotal(), unansweredAtEnd: generator.unansweredTotal(), offerEvents: generator.counts, repeatedOfferEvents: generator.repeated, generatorSendErrors: generator.sendErrors };
}

/** Capacity search, then the latency levels; the target rate is held too when the capacity reaches it. */
async function measure(sut: SystemUnderTest, options: Options, withTargetLevel: boolean): Promise<Omit<PhaseResult, 'system' | keyof ReturnType<typeof generatorTotals>>> {
  progress(`[${sut.name}] capacity search: steps of ${options['step-seconds']} s up to ${thousands(options['max-rate'])} tasks/s ...`);
  const { capacity, steps } = await searchCapacity(sut, { stepSeconds: options['step-seconds'], maxRate: options['max-rate'], bisections: options.bisect });
  progress(`[${sut.name}] capacity ${thousands(capacity)} tasks/s`);
  if (capacity === 0) return { capacity, steps, levels: [] };
  const levels = LEVEL_SHARES.map((share) => ({ label: `${share * 100}% of capacity`, rate: Math.max(1, Math.round(capacity * share)) }));
  if (withTargetLevel && capacity >= LATENCY_TARGET.rate) levels.push({ label: `target ${thousands(LATENCY_TARGET.rate)}/s`, rate: LATENCY_TARGET.rate });
  if (!(await sut.lag.drain(180))) progress(`[${sut.name}] still behind before the levels: ${JSON.stringify(await sut.lag.lag())}`);
  return { capacity, steps, levels: await holdLevels(sut, levels, options['level-seconds']) };
}

async function runPassthrough(kafka: Kafka, admin: Admin, options: Options, onCleanup: (f: () => Promise<unknown>) => void): Promise<PhaseResult> {
  const deployment = `passthrough-${randomBytes(4).toString('hex')}`;
  const passthrough = new PassthroughProcess(deployment);
  const generator = new OpenLoopGenerator(kafka, deployment, new WorkforceSimulation({ seed: options.seed, workers: 0, idPrefix: deployment }));
  onCleanup(() => passthrough.stop());
  onCleanup(() => generator.stop());
  progress('[passthrough] starting the bare kafkajs passthrough in a process of its own ...');
  await passthrough.start();
  await generator.start({ commitEnds: commitTopicEnds });
  const lag = new ConsumerLag(admin, [{ name: 'passthrough', groupId: passthrough.groupId, topics: [TOPICS.tasks] }]);
  const result = await measure({ name: 'passthrough', generator, lag }, options, false);
  await generator.stop();
  await passthrough.stop();
  return { system: 'passthrough', ...result, ...generatorTotals(generator) };
}

async function main(): Promise<void> {
  // --skip-baseline is a bare flag; followed by a number (as the printed command repeats it) it takes that value.
  const argv = process.argv.slice(2).map((a, i, all) => (a === '--skip-baseline' && !/^\d+$/.test(all[i + 1] ?? '') ? '--skip-baseline=1' : a));
  const options = parseOptions(SPEC, argv);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const results = join(ROOT, 'bench', 'results', options.dispatchers > 1 ? `throughput-${options.dispatchers}-dispatchers.json` : 'throughput.json');
  const kafka = new Kafka({ clientId: 'throughput', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const cleanups: (() => Promise<unknown>)[] = [];
  const onCleanup = (f: () => Promise<unknown>) => cleanups.push(f);
  const cleanup = async () => {
    for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
  };
  onInterrupt(cleanup);
  try {
    await admin.connect();
    onCleanup(() => admin.disconnect());
    const baseline = options['skip-baseline'] ? null : await runPassthrough(kafka, admin, options, onCleanup);

    const engine = new Engine();
    engine.keepDatabase = options['keep-database'] > 0;
    onCleanup(() => engine.stop());
    progress(`[clearwork] starting dispatcher (x${options.dispatchers}), scoring and audit on a scratch database ...`);
    await engine.start();
    for (let i = 2; i <= options.dispatchers; i++) await engine.startService('dispatcher', `dispatcher-${i}`);
    const db = new Client({ connectionString: engine.databaseUrl });
    await db.connect();
    onCleanup(() => db.end());
    const simulation = new WorkforceSimulation({ seed: options.seed, workers: options.workers, idPrefix: engine.runId });
    const workers = new SimulatedWorkers(kafka, simulation);
    const generator = new OpenLoopGenerator(kafka, engine.runId, simulation, (offer) => workers.onOffer(offer));
    onCleanup(() => workers.stop());
    onCleanup(() => generator.stop());
    await workers.start();
    await generator.start({ commitEnds: commitTopicEnds });
    const lag = engineLag(admin, engine);
    await bringOnline(workers, lag, options.workers, '[clearwork]');
    const measured = await measure({ name: 'clearwork', generator, lag }, options, true);
    progress('[clearwork] waiting for the last answers, then checking the dispatcher\'s tables and the audit log ...');
    for (let i = 0; i < 60 && generator.unansweredTotal() > 0; i++) await sleep(1_000);
    await lag.drain(120);
    const clearwork: PhaseResult = { system: 'clearwork', ...measured, ...generatorTotals(generator) };
    await workers.stop();
    await generator.stop();
    const checks = await checkDispatch(db, simulation.taskIdPrefix);
    const verify = await engine.get('audit', '/v1/log/verify', engine.token('auditor'));

    const phases = baseline ? [baseline, clearwork] : [clearwork];
    console.log('\ncapacity search (each step judged on its second half):');
    printSteps(phases);
    console.log('\nlatency at load levels (HdrHistogram, coordinated omission corrected):');
    printLevels(phases);
    console.log(`\nworkforce: ${thousands(options.workers)} workers; offers accepted ${thousands(workers.activity.accepted)}, declined ${thousands(workers.activity.declined)}, ignored ${thousands(workers.activity.ignored)}; heartbeats ${thousands(workers.activity.heartbeats)}; worker events sent ${thousands(workers.activity.eventsSent)}`);
    console.log(`offer events seen: ${Object.entries(clearwork.offerEvents).map(([t, n]) => `${t} ${thousands(n)}`).join(', ')}`);
    const repeats = Object.entries(clearwork.repeatedOfferEvents);
    console.log(`offer events published again (an eventId already seen; consumers drop them): ${repeats.length ? repeats.map(([t, n]) => `${t} ${thousands(n)}`).join(', ') : 'none'}`);
    const sendErrors = phases.reduce((n, p) => n + p.generatorSendErrors, 0) + workers.activity.sendErrors;
    if (sendErrors > 0) console.log(`send errors: ${thousands(sendErrors)} (last: ${generator.lastSendError})`);
    console.log('\ndispatcher tables after the run:');
    printChecks(checks);
    console.log('');
    printTable(['system', 'highest sustained rate, tasks/s', 'tasks posted'], phases.map((p) => [p.system, p.capacity, p.posted]));
    if (baseline && baseline.capacity > 0) console.log(`Clearwork / passthrough: ${((100 * clearwork.capacity) / baseline.capacity).toFixed(1)}%`);
    console.log('');
    const targets = judge({ baseline, clearwork, checks, verify });
    printTargets(targets);
    writeJson(results, { environment, options, dispatchers: options.dispatchers, baseline, clearwork, ratio: baseline && baseline.capacity > 0 ? clearwork.capacity / baseline.capacity : null, workerActivity: workers.activity, checks, verify: { status: verify.status, ok: verify.body?.ok, entries: verify.body?.entries }, targets });
    console.log(`\nresults written to ${results.slice(ROOT.length + 1)}`);
    await cleanup();
    process.exit(targets.every((t) => t.pass) ? 0 : 1);
  } catch (error) {
    console.error(`throughput: ${(error as Error).message}`);
    await cleanup().catch(() => undefined);
    process.exit(2);
  }
}

void main();
