import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TOPIC_LAYOUTS, TOPICS, type TopicName } from '@clearwork/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { createScratchDatabase, deleteRedisKeys, KAFKA_BROKER, REDIS_URL } from './servers';
import { eventually } from './eventually';
import { commitTopicEnds } from './kafka-offsets';
import { signToken, type Role } from '../../libs/platform/src/auth/jwt';

export type ServiceName = 'dispatcher' | 'scoring' | 'audit';
const ROOT = join(__dirname, '..', '..');
export const SERVICE_NAMES: readonly ServiceName[] = ['dispatcher', 'scoring', 'audit'];

/** The topics each service's consumer group reads. */
export const TOPICS_READ_BY: Record<ServiceName, readonly TopicName[]> = {
  dispatcher: [TOPICS.tasks, TOPICS.workerEvents, TOPICS.workerScores, TOPICS.policies],
  scoring: [TOPICS.tasks, TOPICS.workerEvents, TOPICS.offers, TOPICS.policies],
  audit: [TOPICS.tasks, TOPICS.workerEvents, TOPICS.offers, TOPICS.workerScores, TOPICS.decisions, TOPICS.policies],
};

/**
 * Each consumer group the engine runs, by the name its lag is reported under: the group id is
 * `<prefix>.<group>`. The dispatcher reads posted tasks in a group of their own.
 */
export const CONSUMER_GROUPS: readonly { readonly name: string; readonly group: string; readonly topics: readonly TopicName[] }[] = [
  { name: 'dispatcher', group: 'dispatcher', topics: TOPICS_READ_BY.dispatcher.filter((t) => t !== TOPICS.tasks) },
  { name: 'dispatcher tasks', group: 'dispatcher.tasks', topics: [TOPICS.tasks] },
  { name: 'scoring', group: 'scoring', topics: TOPICS_READ_BY.scoring },
  { name: 'audit', group: 'audit', topics: TOPICS_READ_BY.audit },
];

/** Ports fetch refuses to connect to (the WHATWG Fetch standard's "bad ports" from 1024 up). */
export const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);

/**
 * The flags every start of a service gives node (package.json, scripts/run-engine.sh,
 * docker-compose.yml): a young generation of 64 MB semi-spaces instead of V8's 16 MB, see
 * docs/decisions.md ("Services run with 64 MB semi-spaces").
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=64'];

/** The three services as separate processes, on a scratch database and their own consumer groups. */
export class Engine {
  readonly runId = `e2e${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  /** Where this run's services keep their Redis keys (deleted when it stops). */
  readonly redisKeyPrefix = `${this.runId}:`;
  ports: Record<ServiceName, number>;
  private readonly processes = new Map<string, ChildProcess>();
  private readonly extraPorts = new Map<string, number>();
  private dropDatabase?: () => Promise<void>;
  /** Whether `stop` leaves the scratch database in place (for a benchmark that reads it afterwards). */
  keepDatabase = false;
  /** The scratch database this run's services use. */
  databaseUrl = '';
  private env: NodeJS.ProcessEnv = {};

  constructor(private basePort = 4100 + Math.floor(Math.random() * 800)) {
    this.ports = Engine.portsFrom(basePort);
  }

  private static portsFrom(base: number): Record<ServiceName, number> {
    return { dispatcher: base + 1, scoring: base + 2, audit: base + 3 };
  }

  /**
   * Moves the ports on until none of them (nor the extra instances' range) is taken by another
   * program or refused by fetch (its blocked ports, such as 4190: "bad port" before any request).
   */
  private async choosePorts(): Promise<void> {
    const taken = (port: number) =>
      new Promise<boolean>((resolve) => {
        const probe = createServer().once('error', () => resolve(true)).once('listening', () => probe.close(() => resolve(false)));
        probe.listen(port, '127.0.0.1');
      });
    for (let attempt = 0; attempt < 50; attempt++) {
      const candidates = [1, 2, 3, 13, 14, 15, 16].map((d) => this.basePort + d);
      if (!candidates.some((port) => FETCH_BLOCKED_PORTS.has(port)) && !(await Promise.all(candidates.map(taken))).some(Boolean)) break;
      this.basePort = 4100 + Math.floor(Math.random() * 800);
    }
    this.ports = Engine.portsFrom(this.basePort);
  }

  readonly jwtSecret = `e2e-secret-${randomBytes(12).toString('hex')}`;

  /** A bearer token for `role`; a worker's subject is its workerId. */
  token(role: Role, sub = `${role}-e2e`): string {
    return signToken(this.jwtSecret, { sub, role });
  }

  /** GET with a bearer token, returning status and parsed body. */
  async get(service: ServiceName, path: string, token?: string): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(this.url(service, path), { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  /** POST JSON with a bearer token, returning status and parsed body. */
  async post(service: ServiceName, path: string, body: unknown, token?: string): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(this.url(service, path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  url(service: ServiceName, path: string): string {
    return `http://127.0.0.1:${this.ports[service]}${path}`;
  }

  /** Starts the three services on a scratch database; `settings` are added to their environment. */
  async start(settings: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.choosePorts();
    const db = await createScratchDatabase(this.runId);
    this.dropDatabase = db.drop;
    this.databaseUrl = db.url;
    this.env = {
      ...process.env,
      NODE_ENV: 'test',
      KAFKA_BROKERS: KAFKA_BROKER,
      KAFKA_GROUP_PREFIX: this.runId,
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      DISPATCHER_PORT: String(this.ports.dispatcher),
      SCORING_PORT: String(this.ports.scoring),
      AUDIT_PORT: String(this.ports.audit),
      LOG_LEVEL: 'log',
      JWT_SECRET: this.jwtSecret,
      ...settings,
    };
    await this.startGroupsAtTheEnd();
    await Promise.all(SERVICE_NAMES.map((s) => this.startService(s)));
  }

  /** Each service's fresh consumer group starts at the current end of every topic (see commitTopicEnds). */
  private async startGroupsAtTheEnd(): Promise<void> {
    const kafka = new Kafka({ clientId: 'e2e-admin', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
    await commitTopicEnds(kafka, CONSUMER_GROUPS.map((g) => `${this.runId}.${g.group}`), TOPIC_LAYOUTS.map((l) => l.name));
  }

  /**
   * Starts one service process. `instance` names an extra process of the same service (a second
   * dispatcher in the same consumer group, say) with its own port.
   */
  async startService(service: ServiceName, instance: string = service): Promise<void> {
    const logDir = join(ROOT, '.run', 'e2e', this.runId);
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(join(logDir, `${instance}.log`), { flags: 'a' });
    const port = instance === service ? this.ports[service] : this.portOf(instance);
    const portVar = `${service.toUpperCase()}_PORT`;
    // SERVICE_NODE_ARGS (say `--cpu-prof --cpu-prof-dir=/tmp/prof`) is passed to each service's node, for profiling a run;
    // it comes after the services' own flags, so it can override them.
    const nodeArgs = [...SERVICE_NODE_FLAGS, ...(process.env.SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean)];
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist', 'apps', service, 'src', 'main.js')], { env: { ...this.env, [portVar]: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.processes.set(instance, child);
    let exited: number | null = null;
    child.once('exit', (code) => (exited = code ?? -1));
    await eventually(
      async () => {
        if (exited !== null) throw new Error(`${instance} exited with code ${exited}; see ${logDir}/${instance}.log`);
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        if (res.status !== 200) throw new Error(`${instance} health: ${res.status} ${await res.text()}`);
      },
      { timeoutMs: 60_000, what: `${instance} to become healthy (log in ${logDir})` },
    );
  }

  /** The process id of a running instance, for reading its memory from /proc. */
  pid(instance: string): number | undefined {
    return this.processes.get(instance)?.pid;
  }

  /** The port of an extra instance, assigned on first use. */
  portOf(instance: string): number {
    if (!this.extraPorts.has(instance)) this.extraPorts.set(instance, this.ports.audit + 10 + this.extraPorts.size);
    return this.extraPorts.get(instance)!;
  }

  /**
   * Sends one process a signal and waits for it to exit: SIGKILL (the default) as a crash would,
   * SIGTERM as an orchestrator stopping it would. Resolves with how it exited.
   */
  async kill(instance: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.processes.get(instance);
    if (!child || child.exitCode !== null) return { code: child?.exitCode ?? null, signal: null };
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal }));
      child.kill(signal);
    });
    this.processes.delete(instance);
    return exit;
  }

  /** Messages of `topic` consumed by every running dispatcher instance together. */
  async consumed(topic: string): Promise<number> {
    let total = 0;
    for (const [instance, child] of this.processes) {
      if (!instance.startsWith('dispatcher') || child.exitCode !== null) continue;
      const port = instance === 'dispatcher' ? this.ports.dispatcher : this.portOf(instance);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const line of text.split('\n')) {
        if (line.startsWith('clearwork_messages_consumed_total{') && line.includes(`topic="${topic}"`)) total += Number(line.split(' ').at(-1));
      }
    }
    return total;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.processes.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    this.processes.clear();
    if (this.keepDatabase) process.stderr.write(`kept the scratch database ${this.runId} (drop it with: psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE "${this.runId}"')\n`);
    else await this.dropDatabase?.();
    // Only a started engine has keys of its own; the services are gone, so none come back.
    if (this.dropDatabase) await deleteRedisKeys(this.redisKeyPrefix);
  }

  /** Total of a counter on a service's /metrics, summed over the label sets that match. */
  async metric(service: ServiceName, name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(this.url(service, '/metrics'))).text();
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.split(' ').at(-1));
    }
    return total;
  }
}
