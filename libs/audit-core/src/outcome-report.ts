import { csvField } from './csv';

/**
 * Allocation outcomes per worker group, in the form auditors ask for: the US EEOC
 * "four-fifths rule" adverse-impact analysis (as used in NYC Local Law 144 bias audits), plus
 * how concentrated assignments are and whether newcomers get seen. Pure: the caller aggregates
 * the per-worker facts from the decision log and passes them in.
 */

/** One worker's facts over the report's period, aggregated by the caller from the decision log. */
export interface WorkerOutcome {
  readonly workerId: string;
  /** The worker's value of the cohort attribute, or null when the worker did not report one. */
  readonly group: string | null;
  /** Decisions in the period that ranked this worker among the recorded candidates. */
  readonly candidacies: number;
  readonly offers: number;
  readonly assignments: number;
  /** True when the worker was a newcomer (too few reviews) during the period. */
  readonly newcomer: boolean;
  /** Pay of the tasks assigned in the period, in cents. */
  readonly payCents: number;
  /** Time the worker was online in the period, in seconds. */
  readonly activeSeconds: number;
}

/** What the report is over and the thresholds it judges by. */
export interface OutcomeReportOptions {
  /** The cohort attribute the groups are values of, e.g. `region`. */
  readonly attribute: string;
  /** Start and end of the period (ISO 8601), echoed into the report as given. */
  readonly from: string;
  readonly to: string;
  /** A group with a smaller share of all candidacies is marked small. Default 0.02. */
  readonly smallGroupShare?: number;
  /** An impact ratio below this is adverse impact. Default 0.8. */
  readonly fourFifths?: number;
}

/** Sums over the whole cohort; `workers` counts distinct workers with at least one candidacy. */
export interface OutcomeTotals {
  readonly workers: number;
  readonly candidacies: number;
  readonly offers: number;
  readonly assignments: number;
  readonly payCents: number;
  readonly activeSeconds: number;
}

/** One group's outcomes. Ratios are rounded to 4 decimals; null where they are undefined. */
export interface OutcomeGroupRow {
  readonly group: string;
  /** Sample size: distinct workers of the group who were candidates at least once. */
  readonly workers: number;
  readonly candidacies: number;
  readonly offers: number;
  readonly assignments: number;
  /** Assignments per candidacy. */
  readonly selectionRate: number | null;
  /** Offers per candidacy. */
  readonly offerRate: number | null;
  /** Selection rate over the reference group's. */
  readonly impactRatio: number | null;
  /** The impact ratio is below the four-fifths threshold. */
  readonly adverseImpact: boolean;
  /** The group's share of candidacies is below the small-group share: too thin to judge. */
  readonly small: boolean;
  /** The group's share of all candidacies. */
  readonly share: number | null;
  readonly payPerActiveHourCents: number | null;
}

/** How unevenly assignments fall on the workers who were candidates. */
export interface OutcomeConcentration {
  /** Distinct workers with at least one candidacy. */
  readonly workers: number;
  /** Gini coefficient of assignments per worker: 0 when equal, towards 1 when one worker gets all. */
  readonly gini: number;
  /** Share of all assignments held by the top 10% of workers (at least one worker). */
  readonly top10Share: number | null;
}

/** Whether newcomers are shown to requesters in proportion to how often they are candidates. */
export interface NewcomerExposure {
  /** Distinct newcomers with at least one candidacy. */
  readonly workers: number;
  readonly candidacyShare: number | null;
  readonly offerShare: number | null;
  readonly assignmentShare: number | null;
  /** Offer share over candidacy share: below 1 means newcomers are offered less than ranked. */
  readonly exposureRatio: number | null;
}

/** The outcome report for one cohort attribute over one period. */
export interface OutcomeReport {
  readonly attribute: string;
  readonly from: string;
  readonly to: string;
  readonly totals: OutcomeTotals;
  /** Sorted by group name in UTF-16 code-unit order, `NOT_REPORTED` last. */
  readonly groups: readonly OutcomeGroupRow[];
  /** The group whose selection rate the impact ratios are measured against, if any. */
  readonly referenceGroup: string | null;
  readonly concentration: OutcomeConcentration;
  readonly newcomers: NewcomerExposure;
  /** Plain-language remarks for a reader who will not study the table. */
  readonly notes: readonly string[];
}

/** The label of the group of workers who did not report a value of the attribute. */
export const NOT_REPORTED = '(not reported)';

interface Tally {
  readonly candidates: Set<string>;
  candidacies: number;
  offers: number;
  assignments: number;
  payCents: number;
  activeSeconds: number;
}

const newTally = (): Tally => ({ candidates: new Set(), candidacies: 0, offers: 0, assignments: 0, payCents: 0, activeSeconds: 0 });

function add(t: Tally, w: WorkerOutcome): void {
  if (w.candidacies > 0) t.candidates.add(w.workerId);
  t.candidacies += w.candidacies;
  t.offers += w.offers;
  t.assignments += w.assignments;
  t.payCents += w.payCents;
  t.activeSeconds += w.activeSeconds;
}

/**
 * Computes the outcome report. Flags are decided on unrounded values; only the output is
 * rounded. Throws a RangeError on counts that are negative or not finite, on thresholds outside
 * their range, and on a reported group equal to `NOT_REPORTED` (it would be merged with the
 * workers who reported nothing, and so wrongly kept out of the reference).
 */
export function outcomeReport(workers: readonly WorkerOutcome[], options: OutcomeReportOptions): OutcomeReport {
  const smallGroupShare = options.smallGroupShare ?? 0.02;
  const fourFifths = options.fourFifths ?? 0.8;
  if (!(smallGroupShare >= 0 && smallGroupShare <= 1)) throw new RangeError(`smallGroupShare must be in [0, 1], got ${smallGroupShare}`);
  if (!(fourFifths > 0 && Number.isFinite(fourFifths))) throw new RangeError(`fourFifths must be a positive number, got ${fourFifths}`);

  const total = newTally();
  const newcomers = newTally();
  const byGroup = new Map<string, Tally>();
  // A worker may arrive in several rows (e.g. one per queue); concentration is per worker.
  const perWorker = new Map<string, { candidacies: number; assignments: number }>();
  for (const w of workers) {
    checkCounts(w);
    if (w.group === NOT_REPORTED) throw new RangeError(`worker ${w.workerId} reports the group "${NOT_REPORTED}", which is reserved for no value`);
    const label = w.group ?? NOT_REPORTED;
    const tally = byGroup.get(label) ?? newTally();
    byGroup.set(label, tally);
    add(tally, w);
    add(total, w);
    if (w.newcomer) add(newcomers, w);
    const own = perWorker.get(w.workerId) ?? { candidacies: 0, assignments: 0 };
    own.candidacies += w.candidacies;
    own.assignments += w.assignments;
    perWorker.set(w.workerId, own);
  }

  const labels = [...byGroup.keys()].sort(compareGroups);
  const measured = labels.map((label) => {
    const t = byGroup.get(label) as Tally;
    const share = ratio(t.candidacies, total.candidacies);
    return { label, t, share, selectionRate: ratio(t.assignments, t.candidacies), small: share === null || share < smallGroupShare };
  });

  // Sorted order makes the first of equal rates the reference, so ties resolve the same way every run.
  let reference: (typeof measured)[number] | null = null;
  for (const m of measured) {
    if (m.small || m.label === NOT_REPORTED || m.selectionRate === null) continue;
    if (reference === null || m.selectionRate > (reference.selectionRate as number)) reference = m;
  }
  const referenceRate = reference?.selectionRate ?? 0;
  if (referenceRate === 0) reference = null;

  const flagged: { label: string; impact: number; small: boolean }[] = [];
  const groups = measured.map(({ label, t, share, selectionRate, small }): OutcomeGroupRow => {
    const impact = reference === null || selectionRate === null ? null : selectionRate / referenceRate;
    const adverseImpact = impact !== null && impact < fourFifths;
    if (adverseImpact) flagged.push({ label, impact, small });
    return {
      group: label,
      workers: t.candidates.size,
      candidacies: t.candidacies,
      offers: t.offers,
      assignments: t.assignments,
      selectionRate: round4(selectionRate),
      offerRate: round4(ratio(t.offers, t.candidacies)),
      impactRatio: round4(impact),
      adverseImpact,
      small,
      share: round4(share),
      payPerActiveHourCents: round4(t.activeSeconds > 0 ? (t.payCents / t.activeSeconds) * 3600 : null),
    };
  });

  const candidates = [...perWorker.values()].filter((w) => w.candidacies > 0).map((w) => w.assignments);
  const candidacyShare = ratio(newcomers.candidacies, total.candidacies);
  const offerShare = ratio(newcomers.offers, total.offers);
  const exposureRatio = offerShare === null || candidacyShare === null ? null : ratio(offerShare, candidacyShare);

  const notes: string[] = [];
  if (total.candidacies === 0) notes.push('No worker was a candidate in the period, so no selection rates can be computed.');
  const unreported = byGroup.get(NOT_REPORTED);
  if (unreported !== undefined && unreported.candidates.size > 0) {
    notes.push(`${count(unreported.candidates.size, 'candidate')} did not report a ${options.attribute}; they are shown as "${NOT_REPORTED}" and never used as the reference group.`);
  }
  for (const m of measured) {
    if (m.small && m.t.candidacies > 0) {
      notes.push(`Group "${m.label}" is under ${percent(smallGroupShare)} of candidacies (n = ${count(m.t.candidates.size, 'worker')}, ${count(m.t.candidacies, 'candidacy', 'candidacies')}); its ratio is reported but unreliable.`);
    }
  }
  if (total.candidacies > 0 && reference === null) {
    notes.push(`No group of at least ${percent(smallGroupShare)} of candidacies with a reported ${options.attribute} had an assignment, so impact ratios are not computed.`);
  }
  for (const f of flagged) {
    const caution = f.small ? ' (a small group: treat with caution)' : '';
    notes.push(`Group "${f.label}"'s selection rate is ${percent(f.impact)} of group "${reference?.label}"'s, below four-fifths (${percent(fourFifths)})${caution}.`);
  }
  if (reference !== null && flagged.every((f) => f.small)) {
    notes.push(flagged.length === 0 ? 'No adverse impact under the four-fifths rule.' : `No adverse impact under the four-fifths rule among groups of at least ${percent(smallGroupShare)} of candidacies.`);
  }
  if (exposureRatio !== null && exposureRatio < fourFifths) {
    notes.push(`Newcomers hold ${percent(candidacyShare as number)} of candidacies but receive ${percent(offerShare as number)} of offers (exposure ratio ${round4(exposureRatio)}).`);
  }

  return {
    attribute: options.attribute,
    from: options.from,
    to: options.to,
    totals: { workers: total.candidates.size, candidacies: total.candidacies, offers: total.offers, assignments: total.assignments, payCents: total.payCents, activeSeconds: total.activeSeconds },
    groups,
    referenceGroup: reference?.label ?? null,
    concentration: { workers: candidates.length, gini: round4(gini(candidates)), top10Share: round4(topShare(candidates, 0.1)) },
    newcomers: {
      workers: newcomers.candidates.size,
      candidacyShare: round4(candidacyShare),
      offerShare: round4(offerShare),
      assignmentShare: round4(ratio(newcomers.assignments, total.assignments)),
      exposureRatio: round4(exposureRatio),
    },
    notes,
  };
}

const CSV_HEADER = [
  'attribute', 'from', 'to', 'group', 'workers', 'candidacies', 'offers', 'assignments', 'selection_rate', 'offer_rate',
  'impact_ratio', 'adverse_impact', 'small_group', 'share', 'pay_per_active_hour_cents',
];

/**
 * The report's group rows as RFC 4180 CSV (CRLF after every record, header first). Text that a
 * spreadsheet would run as a formula gets a leading `'`, because auditors open these files in one.
 */
export function outcomeReportCsv(report: OutcomeReport): string {
  const records = report.groups.map((g) => [
    csvField(report.attribute), csvField(report.from), csvField(report.to), csvField(g.group),
    g.workers, g.candidacies, g.offers, g.assignments, g.selectionRate, g.offerRate, g.impactRatio,
    g.adverseImpact, g.small, g.share, g.payPerActiveHourCents,
  ].map((v) => (v === null ? '' : String(v))));
  return [CSV_HEADER, ...records].map((fields) => `${fields.join(',')}\r\n`).join('');
}


/**
 * Gini coefficient by the sorted-values formula G = 2·Σ i·x_i / (n·Σ x_i) − (n + 1) / n, with
 * i counted from 1 over ascending values. Clamped because rounding can leave equal values a hair
 * below zero.
 */
function gini(values: readonly number[]): number {
  const n = values.length;
  const sum = values.reduce((a, b) => a + b, 0);
  if (n < 2 || sum === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const weighted = sorted.reduce((acc, x, i) => acc + (i + 1) * x, 0);
  return Math.min(1, Math.max(0, (2 * weighted) / (n * sum) - (n + 1) / n));
}

/** Share of the sum held by the largest ceil(n · fraction) values, at least one. */
function topShare(values: readonly number[], fraction: number): number | null {
  const sum = values.reduce((a, b) => a + b, 0);
  if (sum === 0) return null;
  const k = Math.max(1, Math.ceil(values.length * fraction));
  const top = [...values].sort((a, b) => b - a).slice(0, k).reduce((a, b) => a + b, 0);
  return top / sum;
}

function checkCounts(w: WorkerOutcome): void {
  for (const key of ['candidacies', 'offers', 'assignments', 'payCents', 'activeSeconds'] as const) {
    const v = w[key];
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`worker ${w.workerId} has ${key} = ${v}; counts must be finite and non-negative`);
  }
}

/** Orders by UTF-16 code units, not locale, so the report is the same on every machine. */
function compareGroups(a: string, b: string): number {
  if (a === NOT_REPORTED || b === NOT_REPORTED) return (a === NOT_REPORTED ? 1 : 0) - (b === NOT_REPORTED ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

function round4(x: number): number;
function round4(x: number | null): number | null;
function round4(x: number | null): number | null {
  // `+ 0` turns a rounded -0 into 0, which would otherwise print as "0" but compare as unequal.
  return x === null ? null : Math.round(x * 1e4) / 1e4 + 0;
}

const percent = (x: number) => `${Number((x * 100).toFixed(2))}%`;
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
