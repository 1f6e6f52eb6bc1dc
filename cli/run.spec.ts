import { verifyToken } from '../libs/platform/src/auth/jwt';
import { DEV_JWT_SECRET } from '../libs/platform/src/config/load-config';
import { capturedIo } from './recording-server';
import { resolveGlobals } from './global-options';
import { run } from './run';

async function runCaptured(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const { io, out, err } = capturedIo();
  const status = await run(argv, io, env);
  return { status, out, err };
}

describe('the command line', () => {
  it.each([[['help']], [['--help']], [['-h']]])('%j lists every command and the global options', async (argv) => {
    const { status, out } = await runCaptured(argv);
    expect(status).toBe(0);
    const text = out.join('\n');
    for (const command of ['post-task', 'explain', 'verify-log', 'mint-token', 'simulate', '--dispatcher-url', '--audit-url', '--scoring-url', '--kafka']) expect(text).toContain(command);
  });

  it.each(['post-task', 'explain', 'verify-log', 'mint-token', 'simulate'])('%s --help shows its usage, options and examples', async (command) => {
    for (const argv of [[command, '--help'], ['help', command]]) {
      const { status, out } = await runCaptured(argv);
      expect(status).toBe(0);
      expect(out[0]).toMatch(new RegExp(`^usage: clearwork ${command}`));
      expect(out).toContain('examples:');
    }
  });

  it('exits 2 without a command, saying what to do', async () => {
    const { status, err } = await runCaptured([]);
    expect(status).toBe(2);
    expect(err).toEqual(['clearwork: name a command: post-task, explain, verify-log, mint-token, simulate', 'run "clearwork help" to see the commands']);
  });

  it('exits 2 on an unknown command', async () => {
    const { status, err } = await runCaptured(['deploy']);
    expect(status).toBe(2);
    expect(err[0]).toBe('clearwork: unknown command "deploy": the commands are post-task, explain, verify-log, mint-token, simulate');
  });

  it('exits 2 on a bad option, naming it and pointing at the command\'s help', async () => {
    const { status, err } = await runCaptured(['explain', 'w-1', 't-1', '--verbose']);
    expect(status).toBe(2);
    expect(err).toEqual(['clearwork: unknown option --verbose for explain', 'run "clearwork explain --help" to see its arguments and options']);
  });

  it('exits 2 on a bad service URL, naming the option or the variable it came from', async () => {
    expect((await runCaptured(['mint-token', 'platform', '--audit-url', 'localhost'])).err[0]).toBe('clearwork: --audit-url must be an http(s) URL such as http://127.0.0.1:3003, not "localhost"');
    const fromEnv = await runCaptured(['mint-token', 'platform'], { CLEARWORK_KAFKA: 'nohost' });
    expect(fromEnv.status).toBe(2);
    expect(fromEnv.err[0]).toBe('clearwork: CLEARWORK_KAFKA must list Kafka brokers as host:port, separated by commas (e.g. 127.0.0.1:9092), not "nohost"');
  });

  it('mints a token with the development secret unless JWT_SECRET is set', async () => {
    const dev = await runCaptured(['mint-token', 'worker', 'w-9', '--ttl', '120']);
    expect(dev.status).toBe(0);
    expect(verifyToken(DEV_JWT_SECRET, dev.out[0])).toMatchObject({ ok: true, principal: { sub: 'w-9', role: 'worker' } });
    const secret = 'another-secret-for-this-test';
    const own = await runCaptured(['mint-token', 'reviewer'], { JWT_SECRET: secret });
    expect(verifyToken(secret, own.out[0])).toMatchObject({ ok: true, principal: { sub: 'reviewer-local', role: 'reviewer' } });
  });

  it('refuses a token the services would refuse, with exit status 2', async () => {
    const { status, err } = await runCaptured(['mint-token', 'worker']);
    expect(status).toBe(2);
    expect(err[0]).toBe('clearwork: a worker token needs the workerId as its subject');
  });
});

describe('global options', () => {
  it('defaults to the local engine', () => {
    expect(resolveGlobals({}, {})).toEqual({
      dispatcherUrl: 'http://127.0.0.1:3001',
      scoringUrl: 'http://127.0.0.1:3002',
      auditUrl: 'http://127.0.0.1:3003',
      kafkaBrokers: ['127.0.0.1:9092'],
      jwtSecret: DEV_JWT_SECRET,
    });
  });

  it('takes the environment, and an option over it', () => {
    const env = { CLEARWORK_DISPATCHER_URL: 'http://dispatch.internal:8080/', CLEARWORK_AUDIT_URL: 'https://audit.example/api', CLEARWORK_KAFKA: 'k1:9092, k2:9092' };
    expect(resolveGlobals({}, env)).toMatchObject({ dispatcherUrl: 'http://dispatch.internal:8080', auditUrl: 'https://audit.example/api', kafkaBrokers: ['k1:9092', 'k2:9092'] });
    expect(resolveGlobals({ 'dispatcher-url': 'http://127.0.0.1:4001' }, env).dispatcherUrl).toBe('http://127.0.0.1:4001');
  });
});
