import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';

/**
 * What embedded mode puts in place of the servers: an in-process bus for Kafka, an in-memory
 * store for Redis, and a database URL per service (an embedded PGlite). Everything else
 * (modules, handlers, SQL, scripts) is the production code.
 */
export interface EmbeddedAdapters {
  readonly kafka: Kafka;
  readonly redis: Redis;
  /** The database of the named service. */
  databaseUrl(service: string): string;
}

let adapters: EmbeddedAdapters | undefined;

/**
 * Makes every `PlatformModule` created from now on in this process use `a` instead of the
 * configured servers; set once, before the services' modules are created, by the embedded runner.
 */
export function useEmbeddedAdapters(a: EmbeddedAdapters | undefined): void {
  adapters = a;
}

/** The adapters in use, or undefined when the platform talks to the real servers. */
export function embeddedAdapters(): EmbeddedAdapters | undefined {
  return adapters;
}
