import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RetentionPruner, SERVICE_CONFIG } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import type { DispatcherConfig } from '../config';
import { DispatcherMetrics } from '../dispatcher-metrics';
import { TaskStore } from './task-store';

const DAY_MS = 86_400_000;

/**
 * Keeps the dispatcher's tables from growing for ever: ended tasks are deleted once
 * DISPATCHER_TASK_RETENTION_DAYS have passed since they were stored and since anything last
 * happened to them (see `TaskStore.pruneEnded`), every DISPATCHER_TASK_PRUNE_INTERVAL_MS. Each
 * instance prunes; they skip each other's rows. Off when the retention is 0. Counted in
 * `clearwork_dispatch_tasks_pruned_total`.
 */
@Injectable()
export class EndedTasks implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruner?: RetentionPruner;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(TaskStore) store: TaskStore,
    @Inject(SERVICE_CONFIG) config: DispatcherConfig,
    @Inject(DispatcherMetrics) metrics: DispatcherMetrics,
  ) {
    const days = config.DISPATCHER_TASK_RETENTION_DAYS;
    if (days > 0) {
      this.pruner = new RetentionPruner('ended tasks', (before) => store.pruneEnded(dataSource.manager, before, undefined, (n) => metrics.tasksPruned.inc(n)), days * DAY_MS, config.DISPATCHER_TASK_PRUNE_INTERVAL_MS, new Logger(EndedTasks.name));
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
    await this.pruner?.stop();
  }

  /** One round now; how many tasks it deleted (0 when off, or while another round runs). */
  round(now = new Date()): Promise<number> {
    return this.pruner?.round(now) ?? Promise.resolve(0);
  }
}
