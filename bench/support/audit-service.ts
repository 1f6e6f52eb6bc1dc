import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TOPIC_LAYOUTS } from '@clearwork/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { signToken, type Role } from '../../libs/platform/src/auth/jwt';
import { ensureTopics } from '../../libs/platform/src/kafka/topic-admin';
import { SERVICE_NODE_FLAGS } from '../../test/support/engine';
import { KAFKA_BROKER, PG_ADMIN_URL, REDIS_URL, ROOT } from './environment';

/** A database of its own for one benchmark phase; `drop` removes it even while connections are open. */
export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

export async function createScratchDatabase(name: string): Promise<ScratchDatabase> {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Flushes dirty pages so each phase starts without inheriting the previous one's checkpoint debt. */
export async function postgresCheckpoint(): Promise<void> {
  const c = new Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query('CHECKPOINT');
  } finally {
    await c.end();
  }
}

/** The audit service as its own process, on a scratch database and a consumer group of its own. */
export class AuditServiceProcess {
  readonly runId = `bench${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  readonly port = 5100 + Math.floor(Math.random() * 800);
  readonly jwtSecret = randomBytes(24).toString('base64url');
  readonly logFile: string;
  private child?: ChildProcess;
  private exitCode: number | null = null;

  constructor(private readonly databaseUrl: string) {
    const dir = join(ROOT, '.run', 'bench', this.runId);
    mkdirSync(dir, { recursive: true });
    this.logFile = join(dir, 'audit.log');
  }

  get groupId(): string {
    return `${this.runId}.audit`;
  }

  get logPath(): string {
    return relative(process.cwd(), this.logFile);
  }

  token(role: Role): string {
    return signToken(this.jwtSecret, { sub: `${role}-bench`, role }, 3_600);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /**
   * Commits the current end of every topic for the service's new group before it starts, so it
   * reads exactly what is produced from now on, and not a byte of what earlier runs left.
   */
  async startGroupAtTheEnd(): Promise<void> {
    const kafka = new Kafka({ clientId: 'bench-admin', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
    await ensureTopics(kafka);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = TOPIC_LAYOUTS.map((l) => l.name);
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.setOffsets({ groupId: this.groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
      }
    } finally {
      await admin.disconnect();
    }
  }

  async start(): Promise<void> {
    // BENCH_AUDIT_MAIN runs another build of the service, to compare a change against this tree's.
    const main = process.env.BENCH_AUDIT_MAIN ?? join(ROOT, 'dist', 'apps', 'audit', 'src', 'main.js');
    if (!existsSync(main)) throw new Error(`${relative(process.cwd(), main)} is missing: run \`npm run build\` first`);
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      KAFKA_BROKERS: KAFKA_BROKER,
      KAFKA_GROUP_PREFIX: this.runId,
      KAFKA_FROM_BEGINNING: 'false',
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      DATABASE_URL: this.databaseUrl,
      REDIS_URL,
      REDIS_KEY_PREFIX: `${this.runId}:`,
      AUDIT_PORT: String(this.port),
      AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
      JWT_SECRET: this.jwtSecret,
      LOG_LEVEL: 'log',
    };
    // The flags every start of the service gives node (SERVICE_NODE_FLAGS), then any extra for
    // this run, e.g. BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
    const nodeArgs = [...SERVICE_NODE_FLAGS, ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean)];
    this.child = spawn(process.execPath, [...nodeArgs, main], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.child.once('exit', (code) => (this.exitCode = code ?? -1));
    await this.waitUntilReady(60_000);
  }

  /** Throws if the process has exited: a benchmark must not wait on a dead service. */
  assertRunning(): void {
    if (this.exitCode !== null) throw new Error(`the audit service exited with code ${this.exitCode}; see ${this.logPath}`);
  }

  /** Waits for `GET /health` to answer 200: PostgreSQL, Redis up and the consumer joined its group. */
  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      this.assertRunning();
      try {
        const res = await fetch(this.url('/health'));
        if (res.status === 200) return;
        last = `${res.status} ${await res.text()}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the audit service did not become healthy within ${timeoutMs / 1000} s (last: ${last}); see ${this.logPath}`);
  }

  async metrics(): Promise<string> {
    return (await fetch(this.url('/metrics'))).text();
  }

  async get(path: string, role: Role, timeoutMs = 600_000): Promise<{ status: number; body: unknown }> {
    const res = await fetch(this.url(path), { headers: { authorization: `Bearer ${this.token(role)}` }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  /** SIGTERM (graceful shutdown), then SIGKILL after 15 s; removes the consumer group afterwards. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && this.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      });
    }
    const kafka = new Kafka({ clientId: 'bench-admin', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([this.groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
