import { verifyToken } from '../../libs/platform/src/auth/jwt';
import { capturedIo, closedPortUrl, RecordingServer, type CannedAnswer } from '../recording-server';
import { run } from '../run';
import { rankedBelow } from './explanation-samples';
import { explanationSummary } from './explanation-summary';

const secret = 'explain-spec-secret-0123456789';

describe('clearwork explain', () => {
  let server: RecordingServer;
  let answer: CannedAnswer = { status: 200, body: rankedBelow };

  beforeAll(async () => {
    server = await RecordingServer.start(() => answer);
  });
  afterAll(() => server.stop());

  async function explain(...args: string[]) {
    const { io, out, err } = capturedIo();
    const status = await run(['explain', ...args, '--audit-url', server.url], io, { JWT_SECRET: secret });
    return { status, out, err };
  }

  it('asks the audit service with a token for that worker, and prints the summary', async () => {
    answer = { status: 200, body: rankedBelow };
    const { status, out } = await explain('w-7', 't-42');
    expect(status).toBe(0);
    const request = server.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'GET', url: '/v1/workers/w-7/tasks/t-42/explanation' });
    const token = String(request.headers.authorization).replace(/^Bearer /, '');
    expect(verifyToken(secret, token)).toMatchObject({ ok: true, principal: { sub: 'w-7', role: 'worker' } });
    expect(out).toEqual(explanationSummary(rankedBelow));
  });

  it('prints the raw answer with --json', async () => {
    answer = { status: 200, body: rankedBelow };
    const { status, out } = await explain('w-7', 't-42', '--json');
    expect(status).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual(JSON.parse(JSON.stringify(rankedBelow)));
  });

  it('passes on the service\'s refusal with exit status 1', async () => {
    answer = { status: 404, body: { statusCode: 404, message: 'no decision has been recorded for task t-404', error: 'Not Found' } };
    const { status, out, err } = await explain('w-7', 't-404');
    expect(status).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `clearwork: the audit service at ${server.url} refused GET /v1/workers/w-7/tasks/t-404/explanation: 404 no decision has been recorded for task t-404`,
      'nothing found: check the ids (the engine may not have consumed the events yet; try again in a moment)',
    ]);
  });

  it('refuses an answer that is not an explanation', async () => {
    answer = { status: 200, body: { hello: 'world' } };
    const { status, err } = await explain('w-7', 't-42');
    expect(status).toBe(1);
    expect(err[0]).toMatch(/answered something that is not an explanation: run again with --json to see it$/);
  });

  it('refuses ids the service would refuse, with exit status 2', async () => {
    const { status, err } = await explain('w-7', 'task/42');
    expect(status).toBe(2);
    expect(err[0]).toBe('clearwork: taskId "task/42" is not an id: may contain only letters, digits and . _ : @ -');
  });

  it('says to start the audit service when it is not running', async () => {
    const { io, err } = capturedIo();
    const url = await closedPortUrl();
    expect(await run(['explain', 'w-7', 't-42'], io, { CLEARWORK_AUDIT_URL: url })).toBe(1);
    expect(err).toEqual([`clearwork: cannot reach the audit service at ${url} (ECONNREFUSED): is it running? start it with npm start, or point --audit-url at it`]);
  });
});
