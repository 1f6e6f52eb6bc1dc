import { explanationSummary } from './explanation-summary';
import { assigned, ineligible, noDecision, rankedBelow } from './explanation-samples';

describe('the explanation summary', () => {
  it('shows a worker ranked below: outcome, reasons, policy, components against the selected score, gap, counterfactual, proof', () => {
    expect(explanationSummary(rankedBelow)).toEqual([
      'Worker w-7, task t-42: ranked_below',
      '  [ranked_below] You were eligible, but another eligible worker had a higher score under the published policy.',
      '',
      'Decision d-t-42-1-1 at 2026-11-22T10:00:01.000Z',
      'Policy version 3 (content hash sha256:9f2c4e0b7…); weights: quality 0.5, latency 0.2, availability 0.3',
      'Basis: recorded: your scores are read from the decision record',
      '',
      'Scores (gap = selected minus yours; the selected worker was ahead):',
      '  component         weight    yours  selected      gap',
      '  quality              0.5   0.7000    0.8000  +0.1000',
      '  latency              0.2   0.8000    0.8000   0.0000',
      '  availability         0.3   0.6000    0.8000  +0.2000',
      '  base score                 0.6900',
      '    newcomer_share          +0.0200',
      '  final score                0.7100    0.8000  +0.0900',
      '  your rank: 2',
      '  adjustment newcomer_share +0.0200: share of offers reserved for workers with little history',
      '',
      'What would have changed it: Had your quality score been 0.88 instead of 0.7 (+0.18), with everything else the same, you would have ranked first.',
      '',
      'Candidates: 12 in the pool, 2 ranked in the record; filtered out: offline 4, skill_missing 3',
      `Log proof: entry 17 is in the signed tree of 40 entries (root ${'cd'.repeat(8)}…, signed 2026-11-22T10:00:05.000Z by key k-3f2a)`,
      'Appeals: none',
    ]);
  });

  it('says a reconstructed answer is one, and names the rule', () => {
    const text = explanationSummary(ineligible).join('\n');
    expect(text).toContain('Worker w-9, task t-42: ineligible');
    expect(text).toContain('  [skill_missing] The task needs a skill your profile did not list.');
    expect(text).toContain('Basis: reconstructed: you were not among the recorded candidates');
    expect(text).toContain('What would have changed it: No score would have helped until this rule was met');
    expect(text).not.toContain('w-selected');
  });

  it('leaves out the counterfactual when the worker got the task', () => {
    const text = explanationSummary(assigned);
    expect(text[0]).toBe('Worker w-selected, task t-42: assigned');
    expect(text.join('\n')).not.toContain('What would have changed it');
  });

  it('says when there is nothing to compare with', () => {
    expect(explanationSummary(noDecision)).toEqual([
      'Worker w-1, task t-42: not_considered',
      '  [not_considered] You were not among the workers considered for this task.',
      '',
      'Basis: none: there is no decision record to compare you with',
      '',
      'Scores: none to compare',
      'Log proof: none (the decision entry is not in the log yet)',
      'Appeals: none',
    ]);
  });

  it('lists appeals with their resolution', () => {
    const appealed = {
      ...rankedBelow,
      appeals: [{
        appealId: 'a-1', decisionId: 'd-t-42-1-1', taskId: 't-42', workerId: 'w-7', status: 'resolved' as const, statement: 'I had the skill listed.', reviewer: 'r-1',
        resolution: { outcome: 'upheld' as const, note: 'the record shows the lower quality score', resolvedAt: '2026-11-23T09:00:00.000Z' },
        filedAt: '2026-11-22T12:00:00.000Z', updatedAt: '2026-11-23T09:00:00.000Z',
      }],
    };
    expect(explanationSummary(appealed).slice(-2)).toEqual(['Appeals:', '  a-1 resolved, filed 2026-11-22T12:00:00.000Z: upheld (the record shows the lower quality score)']);
  });
});
