import { Inject, Injectable } from '@nestjs/common';
import { PlatformMetrics } from '@clearwork/platform';
import { Gauge, Histogram } from 'prom-client';

/** The audit log's own metrics, on the service's `/metrics`. */
@Injectable()
export class AuditMetrics {
  readonly appendSeconds: Histogram;
  readonly appendBatch: Histogram;
  readonly logSize: Gauge;

  constructor(@Inject(PlatformMetrics) platform: PlatformMetrics) {
    const registers = [platform.registry];
    this.appendSeconds = new Histogram({
      name: 'clearwork_audit_append_seconds',
      help: 'Time to commit one group of log entries (lock, hash, insert, checkpoint)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.appendBatch = new Histogram({
      name: 'clearwork_audit_append_batch_entries',
      help: 'Entries committed per group commit',
      buckets: [1, 10, 100, 1_000, 5_000, 10_000],
      registers,
    });
    this.logSize = new Gauge({ name: 'clearwork_audit_log_entries', help: 'Entries in the audit log (its tree size)', registers });
  }
}
