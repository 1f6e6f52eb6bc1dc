import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export const ROOT = join(__dirname, '..', '..');
export const KAFKA_BROKER = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** What a result was measured on, printed beside it and stored with it. */
export interface Environment {
  readonly command: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly postgres: string;
  readonly kafka: string;
}

/** The Kafka version the local broker is built from, as pinned in infra/kafka/pom.xml. */
export function kafkaVersion(): string {
  try {
    const pom = readFileSync(join(ROOT, 'infra', 'kafka', 'pom.xml'), 'utf8');
    return pom.match(/<kafka\.version>([^<]+)<\/kafka\.version>/)?.[1] ?? 'unknown (no kafka.version in infra/kafka/pom.xml)';
  } catch {
    return 'unknown (infra/kafka/pom.xml not readable)';
  }
}

/** `SELECT version()` of the server at `url`, or why it could not be read. */
export async function postgresVersion(url = PG_ADMIN_URL): Promise<string> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    return rows[0].version;
  } catch (error) {
    return `not reachable at ${url} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function describeEnvironment(command: string): Promise<Environment> {
  const cpuList = cpus();
  return {
    command,
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    postgres: await postgresVersion(),
    kafka: kafkaVersion(),
  };
}

export function printEnvironment(env: Environment): void {
  console.log(`command:    ${env.command}`);
  console.log(`machine:    ${env.cpu} x ${env.cores}, ${env.memoryGiB} GiB, ${env.os}`);
  console.log(`node:       ${env.node}`);
  console.log(`postgres:   ${env.postgres}`);
  console.log(`kafka:      ${env.kafka}`);
}

/** Whether something accepts TCP connections at `host:port`. */
export function tcpOpen(hostPort: string, timeoutMs = 2_000): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port) });
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}
