/*
 * The Grafana dashboard queries metrics by name: this checks that every name and grouping label
 * its queries use is one the services register, so renaming a metric or a label without the
 * dashboard fails here rather than leaving an empty panel.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformMetrics } from '@clearwork/platform';
import { AuditMetrics } from '../../apps/audit/src/audit-metrics';
import { DispatcherMetrics } from '../../apps/dispatcher/src/dispatcher-metrics';

interface Panel {
  readonly title: string;
  readonly targets: readonly { readonly expr: string }[];
}

const dashboard = JSON.parse(readFileSync(join(__dirname, 'dashboards', 'clearwork.json'), 'utf8')) as { uid: string; panels: Panel[] };
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

/** Every series name the services expose (a histogram's as `_bucket`, `_sum`, `_count`), with its metric's label names. */
async function registeredSeries(): Promise<Map<string, readonly string[]>> {
  const platform = new PlatformMetrics('test');
  new AuditMetrics(platform);
  new DispatcherMetrics(platform, async () => 0);
  const series = new Map<string, readonly string[]>();
  for (const { name, type } of await platform.registry.getMetricsAsJSON()) {
    // prom-client keeps a metric's label names on the instance; its typings leave them out.
    const labels = (platform.registry.getSingleMetric(name) as unknown as { labelNames: string[] }).labelNames;
    const names = String(type) === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
    for (const n of names) series.set(n, n.endsWith('_bucket') ? [...labels, 'le'] : labels);
  }
  return series;
}

describe('Grafana dashboard', () => {
  it('queries only metrics the services register', async () => {
    const series = await registeredSeries();
    const used = [...new Set(exprs.flatMap((e) => e.match(/\bclearwork_\w+/g) ?? []))];
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !series.has(name))).toEqual([]);
  });

  it('groups only by labels those metrics have (or the service label every series carries)', async () => {
    const series = await registeredSeries();
    for (const expr of exprs) {
      const labels = new Set(['service', ...(expr.match(/\bclearwork_\w+/g) ?? []).flatMap((name) => series.get(name) ?? [])]);
      const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((l) => l.trim()));
      expect({ expr, unknown: grouped.filter((l) => !labels.has(l)) }).toEqual({ expr, unknown: [] });
    }
  });

  it('has a panel for each metric operators watch', () => {
    const watched = [
      'clearwork_dispatch_decision_seconds_bucket',
      'clearwork_dispatch_offers_total',
      'clearwork_dispatch_waiting_replicas',
      'clearwork_consumer_lag_messages',
      'clearwork_dead_letters_total',
      'clearwork_audit_append_seconds_bucket',
      'clearwork_audit_log_entries',
      'clearwork_messages_consumed_total',
    ];
    expect(watched.filter((name) => !exprs.some((e) => e.includes(name)))).toEqual([]);
    expect(dashboard.uid).toBe('clearwork');
  });
});
