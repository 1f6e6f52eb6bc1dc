import { randomUUID } from 'node:crypto';
import { describeIssues, TOPICS, type TaskPosted } from '@clearwork/contracts';
import type { z } from 'zod';
import type { PostTaskBody } from '../../apps/dispatcher/src/http/tasks.controller';
import { mintLocalToken } from '../../libs/platform/src/auth/local-token';
import { CommandError, UsageError } from '../cli-errors';
import type { Command, OptionSpecs, ParsedLine } from '../command';
import { listOption, numberOption, stringOption } from '../command-line';
import type { GlobalOptions } from '../global-options';
import { callService } from '../service-client';
import { withKafkaProducer } from './kafka-connection';

type Body = z.input<typeof PostTaskBody>;
type ValidBody = z.output<typeof PostTaskBody>;

/** The option that sets each field of the POST /v1/tasks body, so a refusal names what to change. */
export const FIELD_OPTIONS = {
  taskId: 'task-id',
  queue: 'queue',
  requiredSkills: 'skills',
  languages: 'languages',
  requiredQualifications: 'qualifications',
  priority: 'priority',
  payCents: 'pay-cents',
  currency: 'currency',
  estimatedSeconds: 'estimated-seconds',
  deadline: 'deadline',
  replicas: 'replicas',
  excludedWorkerIds: 'exclude',
  offerTtlSeconds: 'offer-ttl',
  eventId: 'event-id',
} as const satisfies Record<keyof Body, string>;

const OPTIONS: OptionSpecs = {
  'task-id': { type: 'string', value: 'id', help: 'the task id (default t-<random uuid>)' },
  queue: { type: 'string', value: 'name', help: 'the queue the task goes to (required)' },
  skills: { type: 'string', value: 'a,b', multiple: true, help: 'skills a worker needs, all of them' },
  languages: { type: 'string', value: 'a,b', multiple: true, help: 'languages, any one of them (default: any)' },
  qualifications: { type: 'string', value: 'a,b', multiple: true, help: 'qualifications a worker needs, all of them' },
  priority: { type: 'string', value: '0-9', help: 'higher goes first (default 5)' },
  'pay-cents': { type: 'string', value: 'n', help: 'pay in cents of --currency (required)' },
  currency: { type: 'string', value: 'ISO 4217', help: 'e.g. EUR (required)' },
  'estimated-seconds': { type: 'string', value: 'n', help: 'how long the work takes (required)' },
  deadline: { type: 'string', value: 'ISO time', help: 'e.g. 2026-11-22T18:00:00Z' },
  replicas: { type: 'string', value: '1-10', help: 'distinct workers needed, for consensus labelling (default 1)' },
  exclude: { type: 'string', value: 'workerIds', multiple: true, help: 'workers never to offer it to' },
  'offer-ttl': { type: 'string', value: 'seconds', help: 'how long each offer stays open (default: the policy\'s)' },
  'event-id': { type: 'string', value: 'uuid', help: 'makes a retry safe: the same event id has no second effect' },
  via: { type: 'string', value: 'http|kafka', help: 'POST /v1/tasks on the dispatcher (default), or TaskPosted on gig.tasks.v1' },
  json: { type: 'boolean', help: 'print only the answer, as JSON' },
};

/** What `post-task` was asked to do, before the body is validated. */
export interface PostTaskArgs {
  readonly body: Record<string, unknown>;
  readonly via: 'http' | 'kafka';
  readonly json: boolean;
}

/** Turns the options into the POST body (numbers parsed, lists split); the dispatcher's schema judges the rest. */
export function parsePostTaskArgs({ values }: ParsedLine): PostTaskArgs {
  const via = stringOption(values, 'via') ?? 'http';
  if (via !== 'http' && via !== 'kafka') throw new UsageError(`--via takes http or kafka, not ${JSON.stringify(via)}`, 'post-task');
  const number = (name: string) => numberOption(values, name, { command: 'post-task' });
  const fields: Record<keyof Body, unknown> = {
    taskId: stringOption(values, 'task-id') ?? `t-${randomUUID()}`,
    queue: stringOption(values, 'queue'),
    requiredSkills: listOption(values, 'skills'),
    languages: listOption(values, 'languages'),
    requiredQualifications: listOption(values, 'qualifications'),
    priority: number('priority'),
    payCents: number('pay-cents'),
    currency: stringOption(values, 'currency'),
    estimatedSeconds: number('estimated-seconds'),
    deadline: stringOption(values, 'deadline'),
    replicas: number('replicas'),
    excludedWorkerIds: listOption(values, 'exclude'),
    offerTtlSeconds: number('offer-ttl'),
    eventId: stringOption(values, 'event-id'),
  };
  const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { body, via, json: values.json === true };
}

/**
 * Validates the body with the dispatcher's own schema (loaded only here: it comes with the
 * dispatcher's controller) and names each option at fault.
 */
export async function validateTaskBody(body: Record<string, unknown>): Promise<ValidBody> {
  const { PostTaskBody: schema } = await import('../../apps/dispatcher/src/http/tasks.controller');
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error).map(({ path, message }) => {
    const [field, ...rest] = path.split('.');
    const option = `--${(FIELD_OPTIONS as Record<string, string>)[field] ?? field}${rest.length > 0 ? ` (item ${rest.join('.')})` : ''}`;
    return body[field] === undefined ? `${option} is required` : `${option}: ${message}`;
  });
  throw new UsageError(`the task is not valid: ${problems.join('; ')}`, 'post-task');
}

async function postOverHttp(body: Record<string, unknown>, globals: GlobalOptions, signal: AbortSignal): Promise<{ status: number; answer: unknown }> {
  const minted = mintLocalToken({ role: 'platform', ttlSeconds: 300, secret: globals.jwtSecret });
  if (!minted.ok) throw new CommandError(minted.problem);
  const { status, body: answer } = await callService({ service: 'dispatcher', baseUrl: globals.dispatcherUrl, method: 'POST', path: '/v1/tasks', token: minted.token, body, signal });
  return { status, answer };
}

async function postOverKafka(body: ValidBody, globals: GlobalOptions): Promise<unknown> {
  const { eventId = randomUUID(), ...data } = body;
  const event: TaskPosted = { eventId, type: 'TaskPosted', occurredAt: new Date().toISOString(), data };
  const [sent] = await withKafkaProducer(globals.kafkaBrokers, (producer) => producer.send({ topic: TOPICS.tasks, messages: [{ key: data.taskId, value: JSON.stringify(event) }] }));
  return { taskId: data.taskId, eventId, topic: TOPICS.tasks, partition: sent?.partition, offset: sent?.baseOffset };
}

export const postTask: Command = {
  name: 'post-task',
  synopsis: '--queue <name> --pay-cents <n> --currency <code> --estimated-seconds <n> [options]',
  summary: 'post a task: POST /v1/tasks on the dispatcher with a platform token, or TaskPosted on Kafka',
  details: [
    'The options are the fields of TaskPosted (see docs/contract.md), checked with the dispatcher\'s own schema before',
    'anything is sent. Prints the task id and what the dispatcher answered; follow the task with',
    'GET /v1/tasks/<taskId> on the dispatcher, and ask why a worker got it or not with clearwork explain.',
  ],
  options: OPTIONS,
  positionals: { min: 0, max: 0 },
  examples: [
    'clearwork post-task --queue images --skills labelling --languages en --pay-cents 120 --currency EUR --estimated-seconds 60',
    'clearwork post-task --task-id t-42 --queue review --skills llm-preference --priority 8 --replicas 3 --pay-cents 80 --currency EUR --estimated-seconds 30 --via kafka',
  ],
  async run(line, { globals, io, signal }) {
    const args = parsePostTaskArgs(line);
    const body = await validateTaskBody(args.body);
    if (args.via === 'kafka') {
      const answer = await postOverKafka(body, globals);
      if (args.json) io.out(JSON.stringify(answer, null, 2));
      else {
        io.out(`task ${body.taskId}`);
        io.out(`sent to ${TOPICS.tasks} at ${globals.kafkaBrokers.join(',')}: ${JSON.stringify(answer)}`);
      }
      return 0;
    }
    const { status, answer } = await postOverHttp(args.body, globals, signal);
    if (args.json) io.out(JSON.stringify(answer, null, 2));
    else {
      io.out(`task ${body.taskId}`);
      io.out(`the dispatcher at ${globals.dispatcherUrl} answered ${status}: ${JSON.stringify(answer)}`);
    }
    return 0;
  },
};
