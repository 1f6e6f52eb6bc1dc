import { CommandError, Interrupted } from './cli-errors';
import { closedPortUrl, RecordingServer } from './recording-server';
import { callService } from './service-client';

describe('calling a service', () => {
  let server: RecordingServer;
  const answers = new Map<string, { status: number; body?: unknown; delayMs?: number }>();

  beforeAll(async () => {
    server = await RecordingServer.start((r) => answers.get(r.url) ?? { status: 404, body: { statusCode: 404, message: `no route ${r.url}`, error: 'Not Found' } });
  });
  afterAll(() => server.stop());

  async function failure(call: Parameters<typeof callService>[0]): Promise<CommandError> {
    try {
      await callService(call);
    } catch (error) {
      if (error instanceof CommandError) return error;
      throw error;
    }
    throw new Error('expected a CommandError');
  }

  it('sends the token and a JSON body, and returns the parsed answer', async () => {
    answers.set('/v1/tasks', { status: 202, body: { taskId: 't-1', status: 'accepted' } });
    const answer = await callService({ service: 'dispatcher', baseUrl: server.url, method: 'POST', path: '/v1/tasks', token: 'tok', body: { taskId: 't-1' } });
    expect(answer).toEqual({ status: 202, body: { taskId: 't-1', status: 'accepted' } });
    const request = server.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/tasks', body: '{"taskId":"t-1"}' });
    expect(request.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/json' });
  });

  it('sends no authorization header without a token', async () => {
    answers.set('/health', { status: 200, body: { status: 'ok' } });
    await callService({ service: 'audit', baseUrl: server.url, method: 'GET', path: '/health' });
    expect(server.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('passes on the service\'s own message for a refusal, and what to do about it', async () => {
    answers.set('/v1/workers/w-1/tasks/t-9/explanation', { status: 404, body: { statusCode: 404, message: 'no decision has been recorded for task t-9', error: 'Not Found' } });
    const error = await failure({ service: 'audit', baseUrl: server.url, method: 'GET', path: '/v1/workers/w-1/tasks/t-9/explanation' });
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      `the audit service at ${server.url} refused GET /v1/workers/w-1/tasks/t-9/explanation: 404 no decision has been recorded for task t-9\n` +
        'nothing found: check the ids (the engine may not have consumed the events yet; try again in a moment)',
    );
  });

  it.each([
    [401, 'invalid token: bad signature', /set JWT_SECRET to the secret the services were started with/],
    [403, 'forbidden', /a worker may read only its own records/],
    [400, ['queue: Required', 'payCents: Required'], /queue: Required; payCents: Required\n.*correct what the message names/],
    [429, 'too many requests', /wait a second and try again/],
    [503, 'not ready', /the dispatcher failed: its log says why/],
  ])('explains a %d', async (status, message, expected) => {
    answers.set(`/status/${status}`, { status, body: { statusCode: status, message } });
    const error = await failure({ service: 'dispatcher', baseUrl: server.url, method: 'GET', path: `/status/${status}` });
    expect(error.message).toMatch(expected);
  });

  it('shows a body that is not JSON as it came', async () => {
    answers.set('/plain', { status: 502, body: 'Bad Gateway from the proxy' });
    expect((await failure({ service: 'scoring', baseUrl: server.url, method: 'GET', path: '/plain' })).message).toMatch(/refused GET \/plain: 502 Bad Gateway from the proxy\n/);
  });

  it('says to start a service that is not running', async () => {
    const url = await closedPortUrl();
    const error = await failure({ service: 'audit', baseUrl: url, method: 'GET', path: '/v1/log/verify' });
    expect(error.message).toBe(`cannot reach the audit service at ${url} (ECONNREFUSED): is it running? start it with npm start, or point --audit-url at it`);
  });

  it('gives up on a service that does not answer in time', async () => {
    answers.set('/slow', { status: 200, body: {}, delayMs: 2_000 });
    const error = await failure({ service: 'dispatcher', baseUrl: server.url, method: 'GET', path: '/slow', timeoutMs: 100 });
    expect(error.message).toMatch(/^the dispatcher at http:\/\/127\.0\.0\.1:\d+ did not answer GET \/slow within 100 ms: is it overloaded or stuck\?/);
  });

  it('stops waiting on Ctrl-C', async () => {
    answers.set('/slower', { status: 200, body: {}, delayMs: 2_000 });
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 50);
    const error = await failure({ service: 'audit', baseUrl: server.url, method: 'GET', path: '/slower', signal: interrupt.signal });
    expect(error).toBeInstanceOf(Interrupted);
    expect(error.exitCode).toBe(130);
  });
});
