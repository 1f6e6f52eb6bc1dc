import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { AssignmentResult } from '@clearwork/matching-core';

/**
 * Solves assignment problems in a worker thread, so a large batch never blocks the event loop
 * (heartbeats, HTTP, other partitions keep going while it runs).
 */
@Injectable()
export class AssignmentSolver implements OnApplicationShutdown {
  private worker?: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: AssignmentResult) => void; reject: (e: Error) => void }>();

  solve(value: (number | null)[][]): Promise<AssignmentResult> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, value });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const script = join(__dirname, 'assignment-worker.js');
    if (!existsSync(script)) throw new Error(`batch mode needs the compiled worker ${script}: run npm run build`);
    const worker = new Worker(script);
    worker.on('message', (msg: { id: number; result: AssignmentResult }) => {
      this.pending.get(msg.id)?.resolve(msg.result);
      this.pending.delete(msg.id);
    });
    worker.on('error', (error) => {
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      this.worker = undefined;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
