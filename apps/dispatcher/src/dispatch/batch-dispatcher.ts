import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DispatchPolicy } from '../policies/dispatch-policy';
import { TaskStore } from '../tasks/task-store';
import { AssignmentSolver } from './assignment-solver';
import { candidateIn, capacityOf, DispatchPlanner, type Evaluation } from './dispatch-planner';
import { DispatchUnits } from './dispatch-unit';

/**
 * Batch mode (a policy switch): newly posted tasks are collected for the policy's window and
 * assigned together, choosing among each task's best candidates the assignment that places the
 * most tasks and then maximises the total score. Each decision records the batch, its objective
 * and what the greedy choice would have reached. A replica the batch cannot place falls back to
 * an ordinary attempt (offer to the best remaining candidate, or waiting).
 */
@Injectable()
export class BatchDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;
  private readonly log = new Logger(BatchDispatcher.name);

  constructor(
    @Inject(DispatchUnits) private readonly units: DispatchUnits,
    @Inject(TaskStore) private readonly store: TaskStore,
    @Inject(DispatchPlanner) private readonly planner: DispatchPlanner,
    @Inject(DispatchPolicy) private readonly policies: DispatchPolicy,
    @Inject(AssignmentSolver) private readonly solver: AssignmentSolver,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const { batch } = (await this.policies.current().catch(() => undefined))?.document.dispatch ?? { batch: { enabled: false, windowMs: 1_000 } };
    try {
      if (batch.enabled && !this.running) await this.runBatch();
    } catch (error) {
      this.log.warn(`batch will retry: ${(error as Error).message}`);
    }
    this.schedule(batch.enabled ? batch.windowMs : 1_000);
  }

  /** Assigns every pending replica in one transaction; returns how many it looked at. */
  async runBatch(now = new Date(), limit = 200): Promise<number> {
    this.running = true;
    try {
      return await this.units.run(async ({ m, claims, emit }) => {
        const pending = await this.store.lockPending(m, limit);
        if (pending.length === 0) return 0;
        const policy = await this.policies.current();
        const perTask = policy.document.dispatch.batch.candidatesPerTask;
        const evaluations: Evaluation[] = [];
        for (const p of pending) {
          const task = await this.store.findTask(m, p.taskId);
          if (task) evaluations.push(await this.planner.evaluate(m, { task: task.spec, replica: p.replica, attempt: 1, now }));
        }
        // Columns are free capacity slots of the workers among each task's best candidates.
        const slots: string[] = [];
        const seen = new Set<string>();
        for (const e of evaluations) {
          for (const r of e.ranking.ranked.slice(0, perTask)) {
            if (seen.has(r.workerId)) continue;
            seen.add(r.workerId);
            const c = candidateIn(e, r.workerId);
            for (let k = 0; k < c.capacity - c.activeTasks; k++) slots.push(r.workerId);
          }
        }
        const value = evaluations.map((e) => {
          const scores = new Map(e.ranking.ranked.slice(0, perTask).map((r) => [r.workerId, r.finalScore]));
          return slots.map((w) => scores.get(w) ?? null);
        });
        const { columnOf, objective } = await this.solver.solve(value);
        const batch = { batchId: randomUUID(), replicas: evaluations.length, assigned: columnOf.filter((c) => c >= 0).length, objective, greedyObjective: greedy(value) };
        const givenTo = new Map<string, Set<string>>();
        for (let i = 0; i < evaluations.length; i++) {
          const e = evaluations[i];
          const workerId = columnOf[i] >= 0 ? slots[columnOf[i]] : undefined;
          const taskId = e.attempt.task.taskId;
          const distinct = !givenTo.get(taskId)?.has(workerId ?? '');
          const selected = workerId && distinct ? e.ranking.ranked.find((r) => r.workerId === workerId) : undefined;
          if (selected && (await claims.claim(selected.workerId, capacityOf(e, selected.workerId)))) {
            givenTo.set(taskId, (givenTo.get(taskId) ?? new Set()).add(selected.workerId));
            emit((await this.planner.record(m, e, { selected, lostRaces: 0, batch })).events);
          } else {
            // Not placed by the batch: an ordinary attempt, which records its own decision.
            emit((await this.planner.plan(m, claims, e.attempt)).events);
          }
        }
        this.log.log({ msg: `batch: ${batch.assigned}/${batch.replicas} replicas placed, objective ${objective} (greedy ${batch.greedyObjective})`, batchId: batch.batchId });
        return evaluations.length;
      });
    } finally {
      this.running = false;
    }
  }
}

/** What placing rows one by one, each on its best free column, would have reached. */
function greedy(value: (number | null)[][]): number {
  const taken = new Set<number>();
  let total = 0;
  for (const row of value) {
    let best = -1;
    for (let j = 0; j < row.length; j++) if (!taken.has(j) && row[j] !== null && (best < 0 || row[j]! > row[best]!)) best = j;
    if (best >= 0) {
      taken.add(best);
      total += row[best]!;
    }
  }
  return Math.round(total * 1e6) / 1e6;
}
