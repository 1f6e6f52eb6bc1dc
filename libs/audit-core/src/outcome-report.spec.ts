import fc from 'fast-check';
import { NOT_REPORTED, outcomeReport, outcomeReportCsv, type WorkerOutcome } from './outcome-report';

const period = { attribute: 'region', from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' };
const HEADER = 'attribute,from,to,group,workers,candidacies,offers,assignments,selection_rate,offer_rate,impact_ratio,adverse_impact,small_group,share,pay_per_active_hour_cents';

function worker(workerId: string, group: string | null, facts: Partial<WorkerOutcome> = {}): WorkerOutcome {
  return { workerId, group, candidacies: 0, offers: 0, assignments: 0, newcomer: false, payCents: 0, activeSeconds: 0, ...facts };
}

/** Workers of one group, each a candidate once and given the stated number of assignments. */
const withAssignments = (assignments: readonly number[]) =>
  assignments.map((a, i) => worker(`w${i}`, 'A', { candidacies: Math.max(a, 1), assignments: a }));

/** Splits RFC 4180 text into records of fields, honouring quotes, so tests can count records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      fields.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      records.push([...fields, field]);
      fields = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  return records;
}

describe('outcomeReport', () => {
  // A: 4 candidates with 100 candidacies and 40 assignments, plus one online worker never ranked;
  // B: 2 newcomers with 100 candidacies and 28 assignments; C: 1 candidacy, assigned.
  const cohort: WorkerOutcome[] = [
    ...[1, 2, 3, 4].map((i) => worker(`a${i}`, 'A', { candidacies: 25, offers: 15, assignments: 10, payCents: 10_000, activeSeconds: 36_000 })),
    worker('a5', 'A', { activeSeconds: 3_600 }),
    ...[1, 2].map((i) => worker(`b${i}`, 'B', { candidacies: 50, offers: 20, assignments: 14, newcomer: true, payCents: 7_000, activeSeconds: 18_000 })),
    worker('c1', 'C', { candidacies: 1, offers: 1, assignments: 1, payCents: 500, activeSeconds: 1_800 }),
  ];

  it('given three groups, when one is selected at 70% of the best rate, then it is flagged and the tiny one is marked small', () => {
    const report = outcomeReport(cohort, period);

    expect(report).toMatchObject({ ...period, referenceGroup: 'A' });
    expect(report.totals).toEqual({ workers: 7, candidacies: 201, offers: 101, assignments: 69, payCents: 54_500, activeSeconds: 185_400 });
    expect(report.groups).toEqual([
      { group: 'A', workers: 4, candidacies: 100, offers: 60, assignments: 40, selectionRate: 0.4, offerRate: 0.6, impactRatio: 1, adverseImpact: false, small: false, share: 0.4975, payPerActiveHourCents: 975.6098 },
      { group: 'B', workers: 2, candidacies: 100, offers: 40, assignments: 28, selectionRate: 0.28, offerRate: 0.4, impactRatio: 0.7, adverseImpact: true, small: false, share: 0.4975, payPerActiveHourCents: 1400 },
      // C's rate of 1 is the highest, but one candidacy cannot set the standard for everyone else.
      { group: 'C', workers: 1, candidacies: 1, offers: 1, assignments: 1, selectionRate: 1, offerRate: 1, impactRatio: 2.5, adverseImpact: false, small: true, share: 0.005, payPerActiveHourCents: 1000 },
    ]);
  });

  it('given the same cohort, then concentration and newcomer exposure are worked out over candidates', () => {
    const report = outcomeReport(cohort, period);

    // Assignments [1, 10, 10, 10, 10, 14, 14]: G = 2·323 / (7·69) − 8/7; the top 10% is one worker.
    expect(report.concentration).toEqual({ workers: 7, gini: 0.1946, top10Share: 0.2029 });
    // Newcomers hold 100/201 of candidacies but 40/101 of offers.
    expect(report.newcomers).toEqual({ workers: 2, candidacyShare: 0.4975, offerShare: 0.396, assignmentShare: 0.4058, exposureRatio: 0.796 });
  });

  it('given the same cohort, then the notes say in words what the table shows', () => {
    expect(outcomeReport(cohort, period).notes).toEqual([
      'Group "C" is under 2% of candidacies (n = 1 worker, 1 candidacy); its ratio is reported but unreliable.',
      'Group "B"\'s selection rate is 70% of group "A"\'s, below four-fifths (80%).',
      'Newcomers hold 49.75% of candidacies but receive 39.6% of offers (exposure ratio 0.796).',
    ]);
  });

  it('given groups selected at similar rates, then it reports no adverse impact', () => {
    const report = outcomeReport([
      worker('a', 'A', { candidacies: 10, offers: 10, assignments: 5 }),
      worker('b', 'B', { candidacies: 10, offers: 10, assignments: 4 }),
    ], period);

    expect(report.groups.map((g) => [g.group, g.impactRatio, g.adverseImpact])).toEqual([['A', 1, false], ['B', 0.8, false]]);
    expect(report.notes).toEqual(['No adverse impact under the four-fifths rule.']);
  });

  it('given custom thresholds, then they decide what is small and what is adverse', () => {
    const report = outcomeReport(cohort, { ...period, smallGroupShare: 0, fourFifths: 0.75 });

    expect(report.referenceGroup).toBe('C');
    expect(report.groups.map((g) => [g.group, g.impactRatio, g.adverseImpact, g.small])).toEqual([
      ['A', 0.4, true, false], ['B', 0.28, true, false], ['C', 1, false, false],
    ]);
  });

  it('given equal assignments, then the Gini coefficient is 0', () => {
    expect(outcomeReport(withAssignments([3, 3, 3, 3]), period).concentration).toEqual({ workers: 4, gini: 0, top10Share: 0.25 });
  });

  it('given one worker with every assignment among four, then the Gini coefficient is 0.75', () => {
    expect(outcomeReport(withAssignments([0, 0, 0, 10]), period).concentration).toEqual({ workers: 4, gini: 0.75, top10Share: 1 });
  });

  it('given twenty workers, then the top 10% is the two with the most assignments', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(outcomeReport(withAssignments(values), period).concentration.top10Share).toBe(Number((39 / 210).toFixed(4)));
  });

  it('given workers who did not report the attribute, then they are gathered last and never the reference', () => {
    const report = outcomeReport([
      worker('n1', null, { candidacies: 10, assignments: 9 }),
      worker('n2', null, { candidacies: 10, assignments: 9 }),
      worker('z', 'Zed', { candidacies: 10, assignments: 4 }),
      worker('a', 'Ash', { candidacies: 10, assignments: 5 }),
    ], period);

    expect(report.groups.map((g) => [g.group, g.workers, g.impactRatio])).toEqual([['Ash', 1, 1], ['Zed', 1, 0.8], [NOT_REPORTED, 2, 1.8]]);
    expect(report.referenceGroup).toBe('Ash');
    expect(report.notes[0]).toBe(`2 candidates did not report a region; they are shown as "${NOT_REPORTED}" and never used as the reference group.`);
  });

  it('given a reported value equal to the label for no value, then it refuses rather than merge the two', () => {
    expect(() => outcomeReport([worker('w', NOT_REPORTED, { candidacies: 1 })], period)).toThrow(RangeError);
  });

  it('given a negative or non-finite count, then it refuses', () => {
    expect(() => outcomeReport([worker('w', 'A', { offers: -1 })], period)).toThrow(/offers = -1/);
    expect(() => outcomeReport([worker('w', 'A', { payCents: NaN })], period)).toThrow(RangeError);
  });

  it('given no assignments among large groups, then there is no reference and no ratios', () => {
    const report = outcomeReport([worker('a', 'A', { candidacies: 5 }), worker('b', 'B', { candidacies: 5 })], period);

    expect(report.referenceGroup).toBeNull();
    expect(report.groups.map((g) => [g.selectionRate, g.impactRatio, g.adverseImpact])).toEqual([[0, null, false], [0, null, false]]);
    expect(report.concentration).toEqual({ workers: 2, gini: 0, top10Share: null });
    expect(report.notes).toEqual(['No group of at least 2% of candidacies with a reported region had an assignment, so impact ratios are not computed.']);
  });

  it('given no workers, then the report is well formed and empty', () => {
    const report = outcomeReport([], period);

    expect(report).toEqual({
      ...period,
      totals: { workers: 0, candidacies: 0, offers: 0, assignments: 0, payCents: 0, activeSeconds: 0 },
      groups: [],
      referenceGroup: null,
      concentration: { workers: 0, gini: 0, top10Share: null },
      newcomers: { workers: 0, candidacyShare: null, offerShare: null, assignmentShare: null, exposureRatio: null },
      notes: ['No worker was a candidate in the period, so no selection rates can be computed.'],
    });
    expect(outcomeReportCsv(report)).toBe(`${HEADER}\r\n`);
  });
});

describe('outcomeReportCsv', () => {
  it('given a report, then it writes one CRLF record per group with nulls as empty fields', () => {
    const csv = outcomeReportCsv(outcomeReport([
      worker('a', 'A', { candidacies: 3, offers: 1, assignments: 1, payCents: 100, activeSeconds: 7_200 }),
      worker('n', null, { activeSeconds: 60 }),
    ], { ...period, smallGroupShare: 0 }));

    expect(csv).toBe([
      HEADER,
      'region,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z,A,1,3,1,1,0.3333,0.3333,1,false,false,1,50',
      `region,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z,${NOT_REPORTED},0,0,0,0,,,,false,false,0,0`,
      '',
    ].join('\r\n'));
  });

  it('given text with separators or formula triggers, then it quotes and neutralises it', () => {
    const groups = ['=SUM(A1:A9)', '+1', '-1', '@cmd', '\tx', '\rx', 'a,"b"', 'two\nlines', 'plain'];
    const report = outcomeReport(groups.map((g, i) => worker(`w${i}`, g, { candidacies: 1 })), { ...period, attribute: 'x,"y"' });
    const csv = outcomeReportCsv(report);
    const records = parseCsv(csv);

    expect(records.slice(1).map((r) => [r[0], r[3]])).toEqual(
      ["'\tx", "'\rx", "'+1", "'-1", "'=SUM(A1:A9)", "'@cmd", 'a,"b"', 'plain', 'two\nlines'].map((g) => ['x,"y"', g]),
    );
    expect(csv).toContain(',"\'\rx",');
    expect(csv).toContain(',"a,""b""",');
    expect(csv).toContain(',"two\nlines",');
    expect(csv.startsWith(`${HEADER}\r\n"x,""y""",`)).toBe(true);
  });
});

describe('outcomeReport properties', () => {
  const workerArb = fc.record({
    workerId: fc.constantFrom('w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8'),
    group: fc.option(fc.string({ maxLength: 6 }).filter((g) => g !== NOT_REPORTED), { nil: null }),
    candidacies: fc.nat(50),
    offers: fc.nat(50),
    assignments: fc.nat(50),
    newcomer: fc.boolean(),
    payCents: fc.nat(100_000),
    activeSeconds: fc.nat(100_000),
  });

  it('given any cohort, then ratios are non-negative, the reference scores 1, Gini is in [0, 1] and the CSV has a record per group', () => {
    fc.assert(
      fc.property(fc.array(workerArb, { maxLength: 30 }), fc.double({ min: 0, max: 0.5, noNaN: true }), (workers, smallGroupShare) => {
        const report = outcomeReport(workers, { ...period, smallGroupShare });
        for (const g of report.groups) {
          if (g.impactRatio !== null) expect(g.impactRatio).toBeGreaterThanOrEqual(0);
          // Flags come from unrounded ratios, so a rounded ratio may sit exactly on the threshold.
          if (g.adverseImpact) expect(g.impactRatio).toBeLessThanOrEqual(0.8);
          else if (g.impactRatio !== null) expect(g.impactRatio).toBeGreaterThanOrEqual(0.8);
        }
        if (report.referenceGroup !== null) {
          const reference = report.groups.find((g) => g.group === report.referenceGroup);
          expect(reference).toMatchObject({ impactRatio: 1, small: false });
          expect(report.referenceGroup).not.toBe(NOT_REPORTED);
        }
        expect(report.concentration.gini).toBeGreaterThanOrEqual(0);
        expect(report.concentration.gini).toBeLessThanOrEqual(1);
        const records = parseCsv(outcomeReportCsv(report));
        expect(records).toHaveLength(report.groups.length + 1);
        expect(records.every((r) => r.length === 15)).toBe(true);
      }),
    );
  });
});
