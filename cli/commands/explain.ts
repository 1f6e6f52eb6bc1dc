import { Id } from '@clearwork/contracts';
import type { WorkerExplanation } from '../../apps/audit/src/explanations/explanation.service';
import { mintLocalToken } from '../../libs/platform/src/auth/local-token';
import { CommandError, UsageError } from '../cli-errors';
import type { Command, ParsedLine } from '../command';
import { callService } from '../service-client';
import { explanationSummary } from './explanation-summary';

/** What `explain` was asked. */
export interface ExplainArgs {
  readonly workerId: string;
  readonly taskId: string;
  readonly json: boolean;
}

export function parseExplainArgs({ values, positionals }: ParsedLine): ExplainArgs {
  const [workerId, taskId] = positionals;
  for (const [name, value] of [['workerId', workerId], ['taskId', taskId]] as const) {
    const parsed = Id.safeParse(value);
    if (!parsed.success) throw new UsageError(`${name} ${JSON.stringify(value)} is not an id: ${parsed.error.issues[0].message}`, 'explain');
  }
  return { workerId, taskId, json: values.json === true };
}

/** The path of the audit service's explanation of one task to one worker. */
export const explanationPath = (workerId: string, taskId: string) => `/v1/workers/${encodeURIComponent(workerId)}/tasks/${encodeURIComponent(taskId)}/explanation`;

export const explain: Command = {
  name: 'explain',
  synopsis: '<workerId> <taskId> [--json]',
  summary: 'why a worker did or did not get a task, as the audit service explains it to that worker',
  details: [
    'Asks the audit service with a token for that worker (as the worker would) and prints the outcome, the reasons,',
    'the worker\'s score components against the selected worker\'s, the gap, the smallest change that would have won,',
    'whether the answer is recorded or reconstructed, the policy version and the log proof.',
  ],
  options: { json: { type: 'boolean', help: 'print the service\'s answer as JSON instead' } },
  positionals: { min: 2, max: 2 },
  examples: ['clearwork explain w-1 t-1', 'clearwork explain w-1 t-1 --json'],
  async run(line, { globals, io, signal }) {
    const args = parseExplainArgs(line);
    const minted = mintLocalToken({ role: 'worker', subject: args.workerId, ttlSeconds: 300, secret: globals.jwtSecret });
    if (!minted.ok) throw new CommandError(minted.problem);
    const { body } = await callService<WorkerExplanation>({ service: 'audit', baseUrl: globals.auditUrl, method: 'GET', path: explanationPath(args.workerId, args.taskId), token: minted.token, signal });
    if (args.json) {
      io.out(JSON.stringify(body, null, 2));
      return 0;
    }
    if (!body || typeof body !== 'object' || typeof body.outcome !== 'string' || !Array.isArray(body.reasons)) {
      throw new CommandError(`the audit service at ${globals.auditUrl} answered something that is not an explanation: run again with --json to see it`);
    }
    explanationSummary(body).forEach((l) => io.out(l));
    return 0;
  },
};
