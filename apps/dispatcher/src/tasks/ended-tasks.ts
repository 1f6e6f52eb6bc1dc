import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RetentionPruner, SERVICE_CONFIG } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import type { DispatcherConfig } from '../config';
import { DispatcherMetrics } from '../dispatcher-metrics';
import { TaskStore } from './task-store';

const DAY_MS = 86_400_000;
/**
 * Before each next batch the pruning waits this many times the last one's length, so it holds a
 * database connection a fifth of the time at most, however large the backlog (retention turned on
 * over months of tasks): at some 30 µs a task that still deletes several thousand tasks a second.
 */
const PAUSE_PER_BATCH_TIME = 4;

/**
 * Keeps the dispatcher's tables from growing for ever: ended tasks are deleted once
 * DISPATCHER_TASK_RETENTION_DAYS have passed since they were stored and since anything last
 * happened to them (see `TaskStore.pruneEnded`), every DISPATCHER_TASK_PRUNE_INTERVAL_MS. Each
 * instance prunes; they skip each other's rows. Off when the retention is 0. Counted in
 * `clearwork_dispatch_tasks_pruned_total`. A round paces itself (PAUSE_PER_BATCH_TIME) and
 * stops after its batch under way when the service stops; the rest waits for the next start.
 */
@Injectable()
export class EndedTasks implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruner?: RetentionPruner;
  private stopping = false;
  /** Ends the pause between two batches early, when the service stops. */
  private wake?: () => void;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(TaskStore) store: TaskStore,
    @Inject(SERVICE_CONFIG) config: DispatcherConfig,
    @Inject(DispatcherMetrics) metrics: DispatcherMetrics,
  ) {
    const days = config.DISPATCHER_TASK_RETENTION_DAYS;
    if (days > 0) {
      const afterBatch = async (deleted: number, ms: number, more: boolean) => {
        metrics.tasksPruned.inc(deleted);
        if (more && !this.stopping) await this.pause(ms * PAUSE_PER_BATCH_TIME);
        return !this.stopping;
      };
      const prune = (before: Date) => store.pruneEnded(dataSource.manager, before, { afterBatch });
      this.pruner = new RetentionPruner('ended tasks', prune, days * DAY_MS, config.DISPATCHER_TASK_PRUNE_INTERVAL_MS, new Logger(EndedTasks.name));
    }
  }

  /** Whether ended tasks are deleted at all. */
  get pruning(): boolean {
    return this.pruner !== undefined;
  }

  onApplicationBootstrap(): void {
    this.pruner?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.pruner?.stop();
  }

  /** One round now; how many tasks it deleted (0 when off, or while another round runs). */
  round(now = new Date()): Promise<number> {
    return this.pruner?.round(now) ?? Promise.resolve(0);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
