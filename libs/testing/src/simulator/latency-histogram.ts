import * as hdr from 'hdr-histogram-js';

/** A latency distribution's summary, in milliseconds (to the microsecond). */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

const round = (micros: number) => Math.round(micros) / 1_000;

/**
 * Latencies recorded in an HdrHistogram in microseconds (3 significant digits, resizing as
 * needed), so percentiles stay exact to 0.1% however many values a level records and whatever
 * their spread, at a constant cost per value.
 */
export class LatencyHistogram {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, autoResize: true });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1_000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  reset(): void {
    this.histogram.reset();
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
    // A percentile is reported as its bucket's highest equivalent value, which may pass the exact maximum.
    const at = (q: number) => round(Math.min(h.getValueAtPercentile(q), h.maxValue));
    return { count: h.totalCount, p50Ms: at(50), p99Ms: at(99), p999Ms: at(99.9), maxMs: round(h.maxValue) };
  }
}
