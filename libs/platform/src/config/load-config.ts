import { z } from 'zod';

/** Raised at start-up when the environment is wrong; the message lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration (fix these environment variables and start again):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once into a typed object; never returns a partly valid config. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> & { JWT_SECRET: string } {
  const result = schema.safeParse(env);
  if (result.success) {
    const data = result.data as { NODE_ENV?: string; JWT_SECRET?: string; LOG_FORMAT?: LogFormat };
    data.LOG_FORMAT = logFormat(data);
    if (!data.JWT_SECRET) {
      if (data.NODE_ENV === 'production') throw new ConfigError(['JWT_SECRET: required in production']);
      data.JWT_SECRET = DEV_JWT_SECRET;
    }
    return data as z.infer<S> & { JWT_SECRET: string };
  }
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(environment)'}: ${issue.message}`),
  );
}

const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

/** Settings every service reads; each service extends this with its own. */
export const BaseConfig = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  KAFKA_BROKERS: z
    .string()
    .min(1)
    .default('127.0.0.1:9092')
    .transform((s) => s.split(',').map((b) => b.trim()))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port'))),
  /** Prefix of every consumer group id, so that separate deployments (or test runs) never share offsets. */
  KAFKA_GROUP_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/).default('clearwork'),
  /** Where a brand-new consumer group starts: from the beginning (default, loses nothing) or the end. */
  KAFKA_FROM_BEGINNING: flag.default(true),
  /** How long the group waits for a silent member before giving its partitions to others. */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
  /**
   * A fetch returns once this many bytes are ready or KAFKA_FETCH_MAX_WAIT_MS has passed: more
   * events per batch, so per-batch work (a transaction, a publish) is shared, for at most that
   * much added latency. A consumer on a task's path to its offer has settings of its own (the
   * dispatcher's posted tasks return at once; see OwnConsumer.fetch and docs/decisions.md,
   * "Fetches wait up to 100 ms").
   */
  KAFKA_FETCH_MIN_BYTES: z.coerce.number().int().min(1).max(64 * 1024 * 1024).default(256 * 1024),
  KAFKA_FETCH_MAX_WAIT_MS: z.coerce.number().int().min(1).max(30_000).default(100),
  /**
   * Handled positions are committed to Kafka together at most this often (0: after every fetched
   * batch, one request per batch). A process that dies re-reads at most this much, which its
   * idempotent handlers skip.
   */
  KAFKA_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /**
   * A batch handler gets all of a topic's partitions that one fetch brought in one call (one
   * transaction) instead of a call per partition; off: a call, and a transaction, per partition.
   */
  KAFKA_JOIN_PARTITIONS: flag.default(true),
  /**
   * How long a service remembers the ids of events it has handled (its `processed_events`), so a
   * redelivered one has no second effect. Older claims are deleted, a batch at a time, every
   * PROCESSED_EVENTS_PRUNE_INTERVAL_MS. Keep it at least as long as the topics keep events (and
   * consumer groups their offsets): an event read again after its claim was pruned is applied again.
   */
  PROCESSED_EVENTS_RETENTION_HOURS: z.coerce.number().min(1).max(24 * 366).default(24 * 7),
  PROCESSED_EVENTS_PRUNE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(600_000),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/postgres'),
  /**
   * When the server's autovacuum is off, how often the service looks for its tables that have
   * grown by more than their size since their last analysis, and analyzes them (see StatisticsKeeper);
   * 0: never. With autovacuum on, nothing is done.
   */
  POSTGRES_ANALYZE_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379/0'),
  /** Prefix of every Redis key, so that deployments sharing one Redis stay apart. */
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9._:-]*$/).default('cw:'),
  /** HS256 secret for bearer tokens. Required outside development and test. */
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /**
   * How log lines are written: `json`, one object per line (time, level, service, context, msg,
   * and taskId, decisionId, workerId where a line is about them) for log collectors; or `text`,
   * Nest's console format for a terminal. Default: json when NODE_ENV=production, text otherwise.
   */
  LOG_FORMAT: z.enum(['json', 'text']).optional(),
  /** HTTP requests per second one client (a token's subject, or an address) may make, sustained. */
  HTTP_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0.1).max(1_000_000).default(100),
  /** HTTP requests one client may make at once after being idle. */
  HTTP_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(200),
});
export type BaseConfig = Omit<z.infer<typeof BaseConfig>, 'JWT_SECRET'> & { JWT_SECRET: string };

export type LogFormat = 'json' | 'text';

/** The log format in force: the one set, else json in production and text elsewhere. */
export function logFormat(config: { NODE_ENV?: string; LOG_FORMAT?: LogFormat }): LogFormat {
  return config.LOG_FORMAT ?? (config.NODE_ENV === 'production' ? 'json' : 'text');
}

/** The secret development and test runs use when none is set; production refuses to start without one. */
export const DEV_JWT_SECRET = 'clearwork-local-development-only';
