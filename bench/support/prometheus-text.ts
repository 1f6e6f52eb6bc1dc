/** Sums the samples of a Prometheus metric whose labels include `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.split(' ').at(-1));
  }
  return total;
}

/** A histogram read from /metrics: observations, their sum, and how many fell in each bucket alone. */
export interface HistogramReading {
  readonly count: number;
  readonly sum: number;
  readonly mean: number;
  /** Per bucket (upper bound), the observations above the previous bound and at most this one. */
  readonly buckets: readonly { readonly le: string; readonly count: number }[];
}

export function histogram(text: string, name: string): HistogramReading {
  const count = metricValue(text, `${name}_count`);
  const sum = metricValue(text, `${name}_sum`);
  const cumulative: { le: string; count: number }[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(new RegExp(`^${name}_bucket\\{.*le="([^"]+)".*\\} (\\S+)$`));
    if (m) cumulative.push({ le: m[1], count: Number(m[2]) });
  }
  const buckets = cumulative.map((b, i) => ({ le: b.le, count: b.count - (i > 0 ? cumulative[i - 1].count : 0) }));
  return { count, sum, mean: count > 0 ? sum / count : 0, buckets };
}
