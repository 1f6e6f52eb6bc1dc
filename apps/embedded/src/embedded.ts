import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger, type INestApplication } from '@nestjs/common';
import { asIoredis, ConfigError, InProcessKafka, MemoryRedis, runService, signToken, useEmbeddedAdapters, type RunServiceOptions } from '@clearwork/platform';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '@clearwork/platform/embedded/embedded-postgres';
import { OpenLoopGenerator, SimulatedWorkers, WorkforceSimulation } from '@clearwork/testing';
import { z } from 'zod';
import { loadAuditConfig } from '../../audit/src/config';
import { auditService } from '../../audit/src/service';
import { loadDispatcherConfig } from '../../dispatcher/src/config';
import { dispatcherService } from '../../dispatcher/src/service';
import { loadScoringConfig } from '../../scoring/src/config';
import { scoringService } from '../../scoring/src/service';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Settings of embedded mode itself; each service still reads its own (ports, policies, ...) from the environment. */
export const EmbeddedConfig = z.object({
  /** Where the embedded databases keep their files (one directory per service). */
  CLEARWORK_DATA_DIR: z.string().min(1).default('data'),
  /** Whether a simulated workforce and task stream run beside the engine. */
  SIMULATOR: flag.default(true),
  SIMULATOR_WORKERS: z.coerce.number().int().min(1).max(100_000).default(40),
  /** Tasks posted per second. */
  SIMULATOR_RATE: z.coerce.number().min(0.01).max(1_000).default(1),
  SIMULATOR_SEED: z.coerce.number().int().min(0).default(1),
  /** Seconds between the simulator's progress lines (0: none). */
  SIMULATOR_PROGRESS_SECONDS: z.coerce.number().min(0).max(3_600).default(30),
});
export type EmbeddedConfig = z.infer<typeof EmbeddedConfig>;

export function loadEmbeddedConfig(env: NodeJS.ProcessEnv = process.env): EmbeddedConfig {
  const result = EmbeddedConfig.safeParse(env);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return result.data;
}

/** The running engine: where to look, and how to stop it. */
export interface EmbeddedEngine {
  readonly urls: { dispatcher: string; scoring: string; audit: string };
  readonly dataDir: string;
  /** The simulated worker the printed worker page is for, when the simulator runs. */
  readonly sampleWorkerId?: string;
  readonly jwtSecret: string;
  stop(): Promise<void>;
}

const SERVICES = ['dispatcher', 'scoring', 'audit'] as const;

/**
 * Embedded mode: the three services in this process, with the same modules as in production and
 * only the adapters swapped: an in-process bus for Kafka, an in-memory store for Redis, and an
 * embedded PostgreSQL (PGlite) per service under `<data dir>/postgres`, migrated by the same
 * migrations. The bus and the store are rebuilt from nothing at each start (the services rebuild
 * what they keep there from PostgreSQL); the databases, and so tasks, decisions and the audit
 * log, persist across restarts.
 */
export async function startEmbedded(env: NodeJS.ProcessEnv = process.env): Promise<EmbeddedEngine> {
  const log = new Logger('Embedded');
  const config = loadEmbeddedConfig(env);
  const dispatcherConfig = loadDispatcherConfig(env);
  const scoringConfig = loadScoringConfig(env);
  const auditConfig = loadAuditConfig(env);
  const dataDir = resolve(config.CLEARWORK_DATA_DIR);

  const release = lockDataDir(dataDir);
  const databases: EmbeddedDatabase[] = [];
  const apps: INestApplication[] = [];
  let simulator: { stop(): Promise<void> } | undefined;
  const stop = async () => {
    await simulator?.stop().catch((e: Error) => log.warn(`simulator: ${e.message}`));
    // Producers first, so the audit service sees the last events before it stops.
    for (const app of apps) await app.close().catch((e: Error) => log.warn(`stopping a service: ${e.message}`));
    for (const db of databases) await db.stop().catch((e: Error) => log.warn(`stopping ${db.name}'s database: ${e.message}`));
    useEmbeddedAdapters(undefined);
    release();
  };

  try {
    log.log(`data under ${dataDir} (PGlite; the first start creates the databases)`);
    for (const name of SERVICES) databases.push(await startEmbeddedDatabase(resolve(dataDir, 'postgres'), name));
    const urls = Object.fromEntries(databases.map((d) => [d.name, d.url])) as Record<string, string>;
    const bus = new InProcessKafka();
    const redis = new MemoryRedis({ keyPrefix: dispatcherConfig.REDIS_KEY_PREFIX });
    useEmbeddedAdapters({ kafka: bus.asKafka(), redis: asIoredis(redis), databaseUrl: (service) => urls[service] });

    const start = async (options: RunServiceOptions, setting: string) => {
      try {
        apps.push(await runService({ ...options, handleSignals: false }));
      } catch (error) {
        if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
        throw new Error(`port ${options.port} (${options.service}) is taken by another program: stop it (another Clearwork?) or choose another port with ${setting}=<port>`);
      }
    };
    await start(dispatcherService(dispatcherConfig), 'DISPATCHER_PORT');
    await start(scoringService(scoringConfig), 'SCORING_PORT');
    await start(auditService(auditConfig), 'AUDIT_PORT');

    const host = dispatcherConfig.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : dispatcherConfig.HTTP_HOST;
    const engineUrls = {
      dispatcher: `http://${host}:${dispatcherConfig.DISPATCHER_PORT}`,
      scoring: `http://${host}:${scoringConfig.SCORING_PORT}`,
      audit: `http://${host}:${auditConfig.AUDIT_PORT}`,
    };
    let sampleWorkerId: string | undefined;
    if (config.SIMULATOR) {
      const sim = await startSimulator(bus, config, dispatcherConfig.KAFKA_GROUP_PREFIX, log);
      simulator = sim;
      sampleWorkerId = sim.sampleWorkerId;
    }
    return { urls: engineUrls, dataDir, sampleWorkerId, jwtSecret: auditConfig.JWT_SECRET, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Takes `<data dir>/clearwork.pid`: two processes on one PGlite directory would corrupt it. A
 * lock left by a process that is gone is taken over. Returns the release.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'clearwork.pid');
  let holder: number | undefined;
  try {
    holder = Number(readFileSync(file, 'utf8').trim());
  } catch {
    // No lock yet.
  }
  if (holder && holder !== process.pid && alive(holder)) {
    throw new ConfigError([`CLEARWORK_DATA_DIR: ${dataDir} is in use by process ${holder} (another Clearwork in embedded mode); stop it, or set CLEARWORK_DATA_DIR to another directory`]);
  }
  writeFileSync(file, `${process.pid}\n`);
  return () => rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** The seeded simulation of `@clearwork/testing` on the in-process bus: workers that come online, heartbeat and answer offers, and a task stream. */
async function startSimulator(bus: InProcessKafka, config: EmbeddedConfig, deployment: string, log: Logger): Promise<{ sampleWorkerId: string; stop(): Promise<void> }> {
  const idPrefix = `sim-${randomBytes(3).toString('hex')}`;
  const simulation = new WorkforceSimulation({ seed: config.SIMULATOR_SEED, workers: config.SIMULATOR_WORKERS, idPrefix });
  const workers = new SimulatedWorkers(bus.asKafka(), simulation);
  const generator = new OpenLoopGenerator(bus.asKafka(), deployment, simulation, (offer) => workers.onOffer(offer));
  await workers.start();
  await generator.start();
  await workers.register();
  workers.startActivity();
  const window = generator.begin('embedded', config.SIMULATOR_RATE, 0);
  log.log(`simulator: ${config.SIMULATOR_WORKERS} workers (w-${idPrefix}-0 ...), ${config.SIMULATOR_RATE} tasks/s (t-${idPrefix}-0 ...)`);
  const started = Date.now();
  const timer =
    config.SIMULATOR_PROGRESS_SECONDS > 0
      ? setInterval(() => {
          const { accepted, declined, ignored } = workers.activity;
          const counts = generator.counts;
          log.log(
            `simulator after ${Math.round((Date.now() - started) / 1000)} s: ${window.posted} tasks posted, ${window.answered} answered; ` +
              `offers accepted ${accepted}, declined ${declined}, ignored ${ignored}; assigned ${counts.TaskAssigned ?? 0}`,
          );
        }, config.SIMULATOR_PROGRESS_SECONDS * 1000)
      : undefined;
  return {
    sampleWorkerId: simulation.workers[0].workerId,
    async stop() {
      if (timer) clearInterval(timer);
      generator.stopPosting();
      await workers.stop();
      await generator.stop();
    },
  };
}

/** The lines printed once the engine is up: where to look, with tokens that let the pages in. */
export function welcome(engine: EmbeddedEngine): string {
  const day = 24 * 3600;
  const auditor = signToken(engine.jwtSecret, { sub: 'auditor-local', role: 'auditor' }, day);
  const lines = [
    '',
    'Clearwork is running in embedded mode (one process; in-process bus, in-memory state, PGlite under ' + engine.dataDir + ')',
    '',
  ];
  if (engine.sampleWorkerId) {
    const worker = signToken(engine.jwtSecret, { sub: engine.sampleWorkerId, role: 'worker' }, day);
    lines.push(`  worker page       ${engine.urls.audit}/app/worker#token=${worker}`, `                    (signed in as simulated worker ${engine.sampleWorkerId})`);
  }
  lines.push(
    `  auditor console   ${engine.urls.audit}/app/auditor#token=${auditor}`,
    `  API documents     ${engine.urls.dispatcher}/docs   ${engine.urls.scoring}/docs   ${engine.urls.audit}/docs`,
    `  metrics           ${engine.urls.dispatcher}/metrics   ${engine.urls.scoring}/metrics   ${engine.urls.audit}/metrics`,
    `  post a task       npm run clearwork -- post-task --help`,
    '',
    'The tokens above last a day; mint others with: npm run clearwork -- mint-token --help. Ctrl-C stops.',
    '',
  );
  return lines.join('\n');
}
