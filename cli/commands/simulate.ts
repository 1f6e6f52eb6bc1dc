import { randomBytes } from 'node:crypto';
import { OpenLoopGenerator, SimulatedWorkers, WorkforceSimulation, type WorkerActivity } from '@clearwork/testing';
import { CommandError } from '../cli-errors';
import type { Command, CommandContext, ParsedLine } from '../command';
import { numberOption, stringOption } from '../command-line';
import { SERVICES, type ServiceName } from '../global-options';
import { callService } from '../service-client';
import { commitTopicEnds } from '../../test/support/kafka-offsets';
import { kafkaClient, kafkaFailure } from './kafka-connection';

/** What `simulate` was asked to run. */
export interface SimulateArgs {
  readonly workers: number;
  /** Tasks posted per second. */
  readonly rate: number;
  /** How long to post for; undefined: until Ctrl-C. */
  readonly minutes: number | undefined;
  readonly seed: number;
  /** The engine's KAFKA_GROUP_PREFIX: its offers carry it in the clearwork-deployment header. */
  readonly deployment: string;
  readonly everySeconds: number;
}

export function parseSimulateArgs({ values }: ParsedLine, env: NodeJS.ProcessEnv): SimulateArgs {
  const rule = { command: 'simulate' };
  const deployment = stringOption(values, 'deployment') ?? env.KAFKA_GROUP_PREFIX ?? 'clearwork';
  return {
    workers: numberOption(values, 'workers', { ...rule, fallback: 50, integer: true, min: 1, max: 1_000_000 })!,
    rate: numberOption(values, 'rate', { ...rule, fallback: 2, min: 0.01, max: 100_000 })!,
    minutes: numberOption(values, 'minutes', { ...rule, min: 0.01 }),
    seed: numberOption(values, 'seed', { ...rule, fallback: 1, integer: true, min: 0 })!,
    deployment,
    everySeconds: numberOption(values, 'every', { ...rule, fallback: 5, min: 1 })!,
  };
}

/** Counts so far, as one progress line reads them. */
export interface SimulationProgress {
  readonly elapsedMs: number;
  readonly posted: number;
  /** Tasks that had a first answer (an offer, or TaskWaiting / TaskUnassignable). */
  readonly answered: number;
  readonly waited: number;
  /** Events on gig.offers.v1 from the engine, by type. */
  readonly offerEvents: Readonly<Record<string, number>>;
  readonly activity: WorkerActivity;
}

export function progressLine(p: SimulationProgress): string {
  const { accepted, declined, ignored } = p.activity;
  const seen = accepted + declined + ignored;
  const events = (type: string) => p.offerEvents[type] ?? 0;
  return [
    `[${Math.round(p.elapsedMs / 1000).toString().padStart(5)} s] tasks posted ${p.posted}, answered ${p.answered} (waiting ${p.waited})`,
    `offers seen ${seen}: accepted ${accepted}, declined ${declined}, ignored ${ignored}`,
    `assigned ${events('TaskAssigned')}, expired ${events('OfferExpired')}, unassignable ${events('TaskUnassignable')}`,
    ...(p.activity.sendErrors > 0 ? [`send errors ${p.activity.sendErrors}`] : []),
  ].join('; ');
}

/** Waits `ms`, or less when Ctrl-C comes first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Warns about each service that is down: the simulation talks only to Kafka, but without the engine nothing answers. */
async function checkEngine({ globals, io, signal }: CommandContext): Promise<void> {
  const urls: Record<ServiceName, string> = { dispatcher: globals.dispatcherUrl, scoring: globals.scoringUrl, audit: globals.auditUrl };
  await Promise.all(
    (Object.keys(SERVICES) as ServiceName[]).map((service) =>
      callService({ service, baseUrl: urls[service], method: 'GET', path: '/health', timeoutMs: 3_000, signal }).catch((error: Error) => io.err(`warning: ${error.message.split('\n')[0]}`)),
    ),
  );
}

async function simulate(args: SimulateArgs, context: CommandContext): Promise<number> {
  const { globals, io, signal } = context;
  await checkEngine(context);
  const probe = kafkaClient(globals.kafkaBrokers, 1).admin();
  try {
    await probe.connect();
  } catch (error) {
    throw kafkaFailure(globals.kafkaBrokers, error);
  } finally {
    await probe.disconnect().catch(() => undefined);
  }
  const kafka = kafkaClient(globals.kafkaBrokers, 5);
  const idPrefix = `sim-${randomBytes(3).toString('hex')}`;
  const simulation = new WorkforceSimulation({ seed: args.seed, workers: args.workers, idPrefix });
  const workers = new SimulatedWorkers(kafka, simulation);
  const generator = new OpenLoopGenerator(kafka, args.deployment, simulation, (offer) => workers.onOffer(offer));
  try {
    await workers.start();
    await generator.start({ commitEnds: commitTopicEnds });
    io.err(`registering ${args.workers} workers (w-${idPrefix}-0 to w-${idPrefix}-${args.workers - 1}) and bringing them online ...`);
    await workers.register();
    workers.startActivity();
    const window = generator.begin('simulate', args.rate, 0);
    const until = args.minutes === undefined ? Infinity : Date.now() + args.minutes * 60_000;
    io.err(`posting ${args.rate} tasks/s (t-${idPrefix}-0, t-${idPrefix}-1, ...) ${args.minutes === undefined ? 'until Ctrl-C' : `for ${args.minutes} min`}; offers are read under deployment ${args.deployment}`);
    const started = Date.now();
    const snapshot = (): SimulationProgress => ({ elapsedMs: Date.now() - started, posted: window.posted, answered: window.answered, waited: window.waited, offerEvents: generator.counts, activity: workers.activity });
    while (!signal.aborted && Date.now() < until) {
      await pause(Math.min(args.everySeconds * 1000, until - Date.now()), signal);
      io.out(progressLine(snapshot()));
    }
    generator.stopPosting();
    const last = snapshot();
    if (last.posted > 0 && last.offerEvents.OfferMade === undefined) {
      io.err(`no offers were seen: is the dispatcher running, and is its KAFKA_GROUP_PREFIX ${args.deployment}? (set it with --deployment)`);
    }
    io.err(`stopped. Ask why a worker got a task or not with: clearwork explain w-${idPrefix}-0 t-${idPrefix}-0`);
    return 0;
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(`the simulation failed: ${(error as Error).message}; is Kafka at ${globals.kafkaBrokers.join(',')} up with the topics created (npm run start:servers creates them; embedded mode, npm start, runs its own simulator)?`);
  } finally {
    await workers.stop();
    await generator.stop();
  }
}

export const simulateCommand: Command = {
  name: 'simulate',
  synopsis: '[--workers <n>] [--rate <tasks/s>] [--minutes <m>]',
  summary: 'a simulated workforce and task stream against a running engine, over Kafka',
  details: [
    'Registers the workers of the seeded simulation of @clearwork/testing, brings them online and heartbeats them, posts',
    'tasks at a fixed rate, and answers every offer made to them as the simulation says (85% accepted, then submitted',
    'after the work; 10% declined with a reason; the rest left to expire). Prints counts every few seconds; stops after',
    '--minutes, or on Ctrl-C. Ids carry a fresh prefix each run, so runs do not meet on the shared topics.',
  ],
  options: {
    workers: { type: 'string', value: 'n', help: 'simulated workers (default 50)' },
    rate: { type: 'string', value: 'tasks/s', help: 'tasks posted per second, fractions allowed (default 2)' },
    minutes: { type: 'string', value: 'm', help: 'how long to run (default: until Ctrl-C)' },
    seed: { type: 'string', value: 'n', help: 'seed of the workforce, tasks and answers (default 1)' },
    deployment: { type: 'string', value: 'prefix', help: 'the engine\'s KAFKA_GROUP_PREFIX, whose offers are answered (default $KAFKA_GROUP_PREFIX or clearwork)' },
    every: { type: 'string', value: 'seconds', help: 'how often a progress line is printed (default 5)' },
  },
  positionals: { min: 0, max: 0 },
  examples: ['clearwork simulate', 'clearwork simulate --workers 500 --rate 20 --minutes 5'],
  run: (line, context) => simulate(parseSimulateArgs(line, context.env), context),
};
