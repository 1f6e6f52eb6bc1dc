import { createConnection } from 'node:net';
import { Client } from 'pg';
import Redis from 'ioredis';

export const KAFKA_BROKER = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const PG_ADMIN_URL = process.env.E2E_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

function tcpOpen(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port) });
    socket.setTimeout(2_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * End-to-end suites run against the real servers. When one is missing they fail at once
 * and say how to start it, instead of timing out or silently skipping.
 */
export async function requireRealServers(): Promise<void> {
  const problems: string[] = [];
  if (!(await tcpOpen(KAFKA_BROKER))) problems.push(`Kafka is not answering on ${KAFKA_BROKER}`);
  const pg = new Client({ connectionString: PG_ADMIN_URL });
  try {
    await pg.connect();
    await pg.query('SELECT 1');
  } catch (error) {
    problems.push(`PostgreSQL is not reachable at ${PG_ADMIN_URL} (${(error as Error).message})`);
  } finally {
    await pg.end().catch(() => undefined);
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    problems.push(`Redis is not reachable at ${REDIS_URL} (${(error as Error).message})`);
  } finally {
    redis.disconnect();
  }
  if (problems.length > 0) {
    throw new Error(`${problems.join('; ')}.\nStart them with: npm run infra:up (starts Kafka, and PostgreSQL and Redis if they are down)`);
  }
}

/** A database of its own for one test run, dropped afterwards. */
export async function createScratchDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * Deletes every Redis key under `prefix` (a run's REDIS_KEY_PREFIX), returning how many: a run
 * with 20,000 workers leaves some 20,000 counters and scores, which every later run's services
 * would otherwise walk past when they SCAN for their own.
 */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  if (!prefix) throw new Error('deleteRedisKeys needs a prefix: an empty one would delete every key');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 10_000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
