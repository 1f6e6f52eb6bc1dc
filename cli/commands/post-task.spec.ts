import { verifyToken } from '../../libs/platform/src/auth/jwt';
import { UsageError } from '../cli-errors';
import { capturedIo, RecordingServer } from '../recording-server';
import { run } from '../run';
import { parsePostTaskArgs, validateTaskBody } from './post-task';

const secret = 'post-task-spec-secret-0123456789';
const required = ['--queue', 'images', '--pay-cents', '120', '--currency', 'EUR', '--estimated-seconds', '60'];

describe('post-task options', () => {
  it('become the POST body: numbers parsed, lists split, a task id made up when none is given', () => {
    const { body, via, json } = parsePostTaskArgs({
      values: { queue: 'images', skills: ['labelling', 'boxes'], priority: '8', replicas: '3', 'pay-cents': '120', currency: 'EUR', 'estimated-seconds': '60', exclude: ['w-2'], 'offer-ttl': '30' },
      positionals: [],
    });
    expect(body).toEqual({
      taskId: expect.stringMatching(/^t-[0-9a-f-]{36}$/), queue: 'images', requiredSkills: ['labelling', 'boxes'], priority: 8, replicas: 3,
      payCents: 120, currency: 'EUR', estimatedSeconds: 60, excludedWorkerIds: ['w-2'], offerTtlSeconds: 30,
    });
    expect({ via, json }).toEqual({ via: 'http', json: false });
  });

  it('are checked with the dispatcher\'s own schema, which fills in its defaults', async () => {
    const body = await validateTaskBody({ taskId: 't-1', queue: 'q', payCents: 1, currency: 'EUR', estimatedSeconds: 5 });
    expect(body).toMatchObject({ priority: 5, replicas: 1, requiredSkills: [], languages: [] });
  });

  it('name every option at fault', async () => {
    const error = await validateTaskBody({ taskId: 't-1', queue: 'q', requiredSkills: ['ok', 'not ok'], priority: 12, payCents: 1.5, estimatedSeconds: 5, eventId: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      'the task is not valid: --skills (item 1): may contain only letters, digits and . _ : -; --priority: Too big: expected number to be <=9; ' +
        '--pay-cents: Invalid input: expected int, received number; --currency is required; --event-id: Invalid UUID',
    );
  });
});

describe('clearwork post-task', () => {
  let server: RecordingServer;

  beforeAll(async () => {
    server = await RecordingServer.start((r) => {
      const { taskId } = JSON.parse(r.body) as { taskId: string };
      return { status: 202, body: { taskId, eventId: '3b241101-e2bb-4255-8caf-4136c566a962', status: 'accepted', links: { self: `/v1/tasks/${taskId}` } } };
    });
  });
  afterAll(() => server.stop());

  it('posts over HTTP with a platform token and prints the task id and the answer', async () => {
    const { io, out } = capturedIo();
    const status = await run(['post-task', '--task-id', 't-7', ...required, '--skills', 'labelling', '--languages', 'en,de', '--dispatcher-url', server.url], io, { JWT_SECRET: secret });
    expect(status).toBe(0);
    const request = server.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/tasks' });
    expect(JSON.parse(request.body)).toEqual({ taskId: 't-7', queue: 'images', requiredSkills: ['labelling'], languages: ['en', 'de'], payCents: 120, currency: 'EUR', estimatedSeconds: 60 });
    expect(verifyToken(secret, String(request.headers.authorization).slice('Bearer '.length))).toMatchObject({ ok: true, principal: { role: 'platform' } });
    expect(out).toEqual([
      'task t-7',
      `the dispatcher at ${server.url} answered 202: {"taskId":"t-7","eventId":"3b241101-e2bb-4255-8caf-4136c566a962","status":"accepted","links":{"self":"/v1/tasks/t-7"}}`,
    ]);
  });

  it('prints only the answer with --json', async () => {
    const { io, out } = capturedIo();
    expect(await run(['post-task', '--task-id', 't-8', ...required, '--json', '--dispatcher-url', server.url], io, {})).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ taskId: 't-8', status: 'accepted' });
  });

  it('sends nothing when an option is wrong, and exits 2 naming it', async () => {
    const before = server.requests.length;
    const { io, err } = capturedIo();
    expect(await run(['post-task', ...required, '--replicas', '11', '--dispatcher-url', server.url], io, {})).toBe(2);
    expect(err).toEqual(['clearwork: the task is not valid: --replicas: Too big: expected number to be <=10', 'run "clearwork post-task --help" to see its arguments and options']);
    expect(server.requests.length).toBe(before);
  });

  it('refuses an unknown way to send', async () => {
    const { io, err } = capturedIo();
    expect(await run(['post-task', ...required, '--via', 'email'], io, {})).toBe(2);
    expect(err[0]).toBe('clearwork: --via takes http or kafka, not "email"');
  });
});
