import type { WorkerExplanation } from '../../apps/audit/src/explanations/explanation.service';

const BASIS: Record<WorkerExplanation['basis'], string> = {
  recorded: 'recorded: your scores are read from the decision record',
  reconstructed: 'reconstructed: you were not among the recorded candidates, so your eligibility and scores were rebuilt from your history at the time of the decision',
  none: 'none: there is no decision record to compare you with',
};

const number = (x: number) => x.toFixed(4);
const signed = (x: number) => `${x > 0 ? '+' : x < 0 ? '-' : ' '}${Math.abs(x).toFixed(4)}`;
const short = (hash: string) => (hash.length > 16 ? `${hash.slice(0, 16)}…` : hash);

/**
 * The answer of GET /v1/workers/{workerId}/tasks/{taskId}/explanation as a person reads it:
 * the outcome and its reasons, the decision and policy, the worker's score components beside
 * the selected worker's with the gap, the smallest change that would have won, the candidates,
 * the log proof and any appeals.
 */
export function explanationSummary(e: WorkerExplanation): string[] {
  const lines = [`Worker ${e.workerId}, task ${e.taskId}: ${e.outcome}`];
  for (const r of e.reasons) lines.push(`  [${r.code}] ${r.text}`);
  lines.push('');
  if (e.decisionId) lines.push(`Decision ${e.decisionId}${e.decidedAt ? ` at ${e.decidedAt}` : ''}`);
  if (e.policy) {
    const weights = e.policy.weights ? Object.entries(e.policy.weights).map(([k, w]) => `${k} ${w}`).join(', ') : 'not in the log';
    lines.push(`Policy version ${e.policy.version} (content hash ${short(e.policy.contentHash)}); weights: ${weights}`);
  }
  lines.push(`Basis: ${BASIS[e.basis]}`);
  lines.push('', ...scoreTable(e));
  if (e.counterfactual) lines.push('', `What would have changed it: ${e.counterfactual.text}`);
  if (e.candidates) {
    const filtered = Object.entries(e.candidates.filteredOut).filter(([, n]) => (n ?? 0) > 0);
    const out = filtered.length > 0 ? filtered.map(([reason, n]) => `${reason} ${n}`).join(', ') : 'none';
    lines.push('', `Candidates: ${e.candidates.poolSize} in the pool, ${e.candidates.recorded} ranked in the record; filtered out: ${out}`);
  }
  lines.push(e.proof
    ? `Log proof: entry ${e.proof.seq} is in the signed tree of ${e.proof.treeSize} entries (root ${short(e.proof.rootHash)}, signed ${e.proof.checkpoint.timestamp} by key ${e.proof.checkpoint.keyId})`
    : 'Log proof: none (the decision entry is not in the log yet)');
  if (e.appeals.length === 0) lines.push('Appeals: none');
  else {
    lines.push('Appeals:');
    for (const a of e.appeals) lines.push(`  ${a.appealId} ${a.status}, filed ${a.filedAt}${a.resolution ? `: ${a.resolution.outcome} (${a.resolution.note})` : ''}`);
  }
  return lines;
}

/** Your components beside the selected worker's, each with its weight and the gap (selected minus yours). */
function scoreTable(e: WorkerExplanation): string[] {
  const { yours, selected, gap } = e;
  if (!yours && !selected) return ['Scores: none to compare'];
  const weights = e.policy?.weights ?? {};
  const components = [...new Set([...Object.keys(weights), ...Object.keys(yours?.components ?? {}), ...Object.keys(selected?.components ?? {})])];
  const rows: string[][] = [['component', 'weight', 'yours', 'selected', 'gap']];
  const cell = (x: number | undefined, format = number) => (x === undefined ? '-' : format(x));
  for (const c of components) rows.push([c, cell(weights[c], (w) => String(w)), cell(yours?.components[c]), cell(selected?.components[c]), cell(gap?.[c], signed)]);
  if (yours) rows.push(['base score', '', number(yours.baseScore), '', '']);
  for (const a of yours?.adjustments ?? []) rows.push([`  ${a.kind}`, '', signed(a.delta), '', '']);
  rows.push(['final score', '', cell(yours?.finalScore), cell(selected?.finalScore), cell(gap?.final, signed)]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`.trimEnd());
  const notes = [
    ...(yours?.rank ? [`  your rank: ${yours.rank}`] : []),
    ...(yours?.adjustments ?? []).map((a) => `  adjustment ${a.kind} ${signed(a.delta)}: ${a.reason}`),
    ...(selected ? [] : ['  no worker was selected']),
  ];
  return [`Scores (gap = selected minus yours${gap && (gap.final ?? 0) > 0 ? '; the selected worker was ahead' : ''}):`, ...table, ...notes];
}
