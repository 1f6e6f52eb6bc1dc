import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aTaskPosted } from '@clearwork/testing';
import { signToken, type Role } from '../../libs/platform/src/auth/jwt';
import { eventually } from '../support/eventually';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'apps', 'embedded', 'src', 'main.js');
const SECRET = 'embedded-test-secret-0123456789';
/** Nothing listens here: if any service tried a real server, it would fail to start. */
const NOWHERE = { KAFKA_BROKERS: '127.0.0.1:9', DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none', REDIS_URL: 'redis://127.0.0.1:9/0' };

type Service = 'dispatcher' | 'scoring' | 'audit';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `npm start`'s process (the built embedded runner), with its output kept for the assertions and for failures. */
class EmbeddedProcess {
  output = '';
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(
    readonly ports: Record<Service, number>,
    readonly dataDir: string,
  ) {}

  async start(extraEnv: Record<string, string>): Promise<void> {
    this.output = '';
    const child = this.spawn(extraEnv);
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 150_000;
    while (!this.output.includes('Clearwork is running in embedded mode')) {
      if (child.exitCode !== null) throw new Error(`the embedded engine exited with ${child.exitCode} while starting:\n${this.output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`the embedded engine did not start within 150 s:\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Runs another engine with these settings until it exits (within 90 s): its exit code and output. */
  async runToExit(extraEnv: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const child = this.spawn(extraEnv);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    return { code, output };
  }

  private spawn(extraEnv: Record<string, string>): ChildProcess {
    return spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        ...NOWHERE,
        JWT_SECRET: SECRET,
        CLEARWORK_DATA_DIR: this.dataDir,
        DISPATCHER_PORT: String(this.ports.dispatcher),
        SCORING_PORT: String(this.ports.scoring),
        AUDIT_PORT: String(this.ports.audit),
        SIMULATOR_PROGRESS_SECONDS: '0',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** SIGINT, as Ctrl-C sends; resolves with the exit code (null: killed by a signal, or never started). */
  async stop(): Promise<number | null> {
    this.child?.kill('SIGINT');
    return (await this.exited) ?? null;
  }

  url(service: Service, path: string): string {
    return `http://127.0.0.1:${this.ports[service]}${path}`;
  }

  async call(service: Service, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(this.url(service, path), {
      method: options.body === undefined ? 'GET' : 'POST',
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}

const token = (role: Role, sub = `${role}-embedded`) => signToken(SECRET, { sub, role });

describe('embedded mode: npm start with only Node.js (one process, in-process bus, in-memory state, PGlite)', () => {
  let engine: EmbeddedProcess;
  let dataDir: string;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first (npm test does)`);
    dataDir = mkdtempSync(join(tmpdir(), 'clearwork-embedded-'));
    engine = new EmbeddedProcess({ dispatcher: await freePort(), scoring: await freePort(), audit: await freePort() }, dataDir);
    await engine.start({ SIMULATOR_WORKERS: '25', SIMULATOR_RATE: '4' });
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints where to look, with links that sign the pages in, and every service is healthy without any server', async () => {
    expect(engine.output).toMatch(new RegExp(`worker page\\s+http://127\\.0\\.0\\.1:${engine.ports.audit}/app/worker#token=`));
    expect(engine.output).toMatch(new RegExp(`auditor console\\s+http://127\\.0\\.0\\.1:${engine.ports.audit}/app/auditor#token=`));
    expect(engine.output).toContain(`http://127.0.0.1:${engine.ports.dispatcher}/docs`);
    expect(existsSync(join(dataDir, 'postgres', 'audit'))).toBe(true);
    for (const service of ['dispatcher', 'scoring', 'audit'] as const) {
      const health = await engine.call(service, '/health');
      expect({ service, status: health.status }).toEqual({ service, status: 200 });
    }
  });

  it('the simulator at once produces decisions, offers, assignments and scores, and a worker can ask why', async () => {
    const auditor = token('auditor');
    const decisions = await eventually(
      async () => {
        const res = await engine.call('audit', '/v1/decisions?limit=50', { token: auditor });
        if (res.status !== 200 || res.body.decisions.length < 3) throw new Error(`decisions so far: ${JSON.stringify(res.body).slice(0, 300)}`);
        return res.body.decisions as { decisionId: string; taskId: string; selectedWorkerId?: string | null }[];
      },
      { what: 'decisions from the simulated task stream', timeoutMs: 60_000 },
    );
    expect(decisions.length).toBeGreaterThanOrEqual(3);
    const sampleWorker = /signed in as simulated worker (\S+)\)/.exec(engine.output)?.[1];
    expect(sampleWorker).toMatch(/^w-sim-/);
    const score = await eventually(
      async () => {
        const res = await engine.call('scoring', `/v1/workers/${sampleWorker}/score`, { token: token('worker', sampleWorker) });
        if (res.status !== 200) throw new Error(`score: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        return res.body;
      },
      { what: 'a score for the simulated worker' },
    );
    expect(score).toBeTruthy();
    // Some simulated worker was a candidate; that worker gets an explanation of the decision.
    const explained = await eventually(
      async () => {
        for (const d of decisions) {
          const full = await engine.call('audit', `/v1/decisions/${d.decisionId}`, { token: auditor });
          const workerId = JSON.stringify(full.body).match(/"workerId":"(w-sim-[^"]+)"/)?.[1];
          if (!workerId) continue;
          const why = await engine.call('audit', `/v1/workers/${workerId}/tasks/${d.taskId}/explanation`, { token: token('worker', workerId) });
          if (why.status === 200) return why.body;
        }
        throw new Error('no explanation yet');
      },
      { what: 'an explanation for a candidate of a simulated task' },
    );
    expect(JSON.stringify(explained)).toMatch(/score|component|rank/i);
  });

  it('takes a task over HTTP, validates it like production, and decides on it', async () => {
    const platform = token('platform');
    const bad = await engine.call('dispatcher', '/v1/tasks', { token: platform, body: { ...aTaskPosted().data, priority: 12 } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([expect.objectContaining({ path: 'priority' })]);
    const task = aTaskPosted().data;
    expect(await engine.call('dispatcher', '/v1/tasks', { token: platform, body: task })).toMatchObject({ status: 202, body: { taskId: task.taskId } });
    await eventually(
      async () => {
        const res = await engine.call('audit', `/v1/decisions?taskId=${task.taskId}`, { token: token('auditor') });
        if (res.body?.decisions?.length !== 1) throw new Error(`decisions for the task: ${JSON.stringify(res.body).slice(0, 200)}`);
      },
      { what: 'the decision on the posted task to reach the audit log' },
    );
    expect((await engine.call('dispatcher', `/v1/tasks/${task.taskId}`, { token: platform })).status).toBe(200);
  });

  it('refuses a second engine on the same data directory, and says which port is taken and how to choose another', async () => {
    const sameDir = await engine.runToExit({ SIMULATOR: 'false' });
    expect(sameDir.code).toBe(1);
    expect(sameDir.output).toContain(`CLEARWORK_DATA_DIR: ${dataDir} is in use by process`);
    const otherDir = mkdtempSync(join(tmpdir(), 'clearwork-embedded-'));
    try {
      const samePorts = await engine.runToExit({ SIMULATOR: 'false', CLEARWORK_DATA_DIR: otherDir });
      expect(samePorts.code).toBe(1);
      expect(samePorts.output).toContain(`port ${engine.ports.dispatcher} (dispatcher) is taken by another program: stop it (another Clearwork?) or choose another port with DISPATCHER_PORT=<port>`);
      expect(existsSync(join(otherDir, 'clearwork.pid'))).toBe(false);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
    expect((await engine.call('dispatcher', '/health')).status).toBe(200);
  });

  it('keeps a log that verifies, and the data survive a restart (Ctrl-C stops cleanly)', async () => {
    const auditor = token('auditor');
    const verified = await engine.call('audit', '/v1/log/verify', { token: auditor });
    expect(verified.body).toMatchObject({ ok: true, problemCount: 0 });
    const before = (await engine.call('audit', '/v1/log/checkpoint')).body;
    expect({ treeSize: before.treeSize > 0, body: before.treeSize > 0 ? undefined : before }).toEqual({ treeSize: true, body: undefined });
    const decisionsBefore = (await engine.call('audit', '/v1/decisions?limit=200', { token: auditor })).body.decisions.length;

    expect(await engine.stop()).toBe(0);
    expect(engine.output).toContain('stopped cleanly');

    await engine.start({ SIMULATOR: 'false' });
    expect(engine.output).not.toContain('worker page');
    const after = (await engine.call('audit', '/v1/log/checkpoint')).body;
    expect(after.treeSize).toBeGreaterThanOrEqual(before.treeSize);
    expect((await engine.call('audit', '/v1/decisions?limit=200', { token: auditor })).body.decisions.length).toBeGreaterThanOrEqual(decisionsBefore);
    expect((await engine.call('audit', '/v1/log/verify', { token: auditor })).body).toMatchObject({ ok: true, problemCount: 0 });

    // Started again with the simulator (the same seed, a new id prefix): its tasks are new events,
    // decided like the first run's, not taken for redeliveries of what the dispatcher has handled.
    expect(await engine.stop()).toBe(0);
    await engine.start({ SIMULATOR_WORKERS: '25', SIMULATOR_RATE: '4' });
    const prefix = /\(t-(sim-[0-9a-f]+)-0 \.\.\.\)/.exec(engine.output)?.[1];
    expect(prefix).toMatch(/^sim-/);
    const history = await eventually(
      async () => {
        const res = await engine.call('dispatcher', `/v1/tasks/t-${prefix}-0`, { token: token('platform') });
        if (res.status !== 200 || res.body.decisions.length === 0) throw new Error(`task t-${prefix}-0: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        return res.body;
      },
      { what: "the restarted simulator's first task to be decided", timeoutMs: 60_000 },
    );
    expect(history.decisions[0]).toMatchObject({ taskId: `t-${prefix}-0`, attempt: 1 });
  });
});
