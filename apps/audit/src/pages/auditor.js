// The auditor console: recorded policy versions and their differences, the outcome report with
// four-fifths flags, decision replay, and verification of the log with its latest checkpoint.
(function () {
  'use strict';
  const { api, el, byTestId, showError, barChartSvg, svgElement, formatNumber, jsonDiff, wireToken } = window.PageKit;
  let policies = [];

  const guarded = (fn) => () => fn().catch((error) => showError('error', error));

  async function start() {
    showError('error', null);
    await Promise.all([loadPolicies(), loadCheckpoint()]).catch((error) => showError('error', error));
  }

  async function loadPolicies() {
    ({ policies } = await api('/v1/policies'));
    const current = policies[policies.length - 1];
    byTestId('policy-current').textContent = current ? `version ${current.version} (${current.contentHash.slice(0, 12)}…)` : 'none recorded';
    const weights = current ? current.document.weights || {} : {};
    byTestId('policy-weights').querySelector('tbody').replaceChildren(
      ...Object.entries(weights).map(([name, weight]) => el('tr', { testid: 'policy-weight' }, [el('td', {}, name), el('td', {}, formatNumber(weight))])),
    );
    byTestId('policy-history').replaceChildren(
      ...policies.map((p) => el('li', { testid: 'policy-version' }, `v${p.version} ${p.publishedAt || '(built-in default)'}: ${p.rationale}`)),
    );
    for (const id of ['diff-from', 'diff-to']) {
      byTestId(id).replaceChildren(...policies.map((p) => el('option', { value: p.version }, `v${p.version}`)));
    }
    if (policies.length > 1) byTestId('diff-from').value = String(policies[policies.length - 2].version);
    if (current) byTestId('diff-to').value = String(current.version);
  }

  async function diff() {
    const pick = (id) => policies.find((p) => String(p.version) === byTestId(id).value);
    const from = pick('diff-from');
    const to = pick('diff-to');
    if (!from || !to) return;
    const changes = jsonDiff(from.document, to.document);
    byTestId('policy-diff').querySelector('tbody').replaceChildren(
      ...(changes.length === 0
        ? [el('tr', { testid: 'diff-row' }, el('td', { colspan: 3, class: 'muted' }, 'The two versions are the same.'))]
        : changes.map((c) => el('tr', { testid: 'diff-row' }, [el('td', {}, c.path), el('td', {}, JSON.stringify(c.from)), el('td', {}, JSON.stringify(c.to))]))),
    );
  }

  async function loadReport() {
    const query = new URLSearchParams({ attribute: byTestId('report-attribute').value, from: byTestId('report-from').value, to: byTestId('report-to').value });
    const report = await api(`/v1/reports/outcomes?${query}`);
    const rate = (v) => (v === null ? '–' : `${formatNumber(v * 100)}%`);
    byTestId('report-table').querySelector('tbody').replaceChildren(
      ...report.groups.map((g) =>
        el('tr', { testid: 'report-row', 'data-group': g.group }, [
          el('td', {}, g.group), el('td', {}, String(g.workers)), el('td', {}, String(g.candidacies)), el('td', {}, String(g.offers)), el('td', {}, String(g.assignments)),
          el('td', {}, rate(g.selectionRate)), el('td', {}, formatNumber(g.impactRatio)),
          el('td', { testid: 'report-flag', class: g.adverseImpact ? 'flag' : '' }, g.adverseImpact ? 'below 4/5' : g.small ? 'small group' : 'ok'),
        ]),
      ),
    );
    byTestId('report-chart').replaceChildren(
      svgElement(barChartSvg({ categories: report.groups.map((g) => g.group), series: [{ name: 'selection rate', values: report.groups.map((g) => g.selectionRate) }], max: 1 })),
    );
    byTestId('report-notes').replaceChildren(...report.notes.map((n) => el('li', {}, n)));
  }

  async function loadDecisions() {
    const { decisions } = await api('/v1/decisions?limit=50');
    byTestId('decisions-table').querySelector('tbody').replaceChildren(
      ...decisions.map((d) => {
        const button = el('button', { type: 'button', testid: 'replay-button', 'data-decision-id': d.decisionId }, 'Replay');
        button.addEventListener('click', guarded(() => replay(d.decisionId)));
        return el('tr', { testid: 'decision-row', 'data-decision-id': d.decisionId, 'data-task-id': d.taskId }, [
          el('td', {}, d.decidedAt), el('td', {}, d.taskId), el('td', {}, `v${d.policy.version}`), el('td', {}, d.summary || ''), el('td', {}, button),
        ]);
      }),
    );
  }

  async function replay(decisionId) {
    const result = await api(`/v1/decisions/${encodeURIComponent(decisionId)}/replay`, { method: 'POST', body: {} });
    const node = byTestId('replay-result');
    node.className = result.identical ? 'ok' : 'flag';
    node.textContent = result.identical
      ? `${decisionId}: identical under policy v${result.policyVersion}`
      : `${decisionId}: ${result.differences.length} difference(s) under policy v${result.policyVersion}`;
    byTestId('replay-differences').replaceChildren(
      ...result.differences.map((d) => el('li', { testid: 'replay-difference' }, `${d.path}: recorded ${JSON.stringify(d.recorded)}, recomputed ${JSON.stringify(d.recomputed)}`)),
    );
  }

  async function verify() {
    const report = await api('/v1/log/verify');
    const node = byTestId('verify-result');
    node.className = report.ok ? 'ok' : 'flag';
    node.textContent = report.ok ? `ok: every check passed (${report.problemCount} problems)` : `FAILED: ${report.problemCount} problem(s)`;
    byTestId('verify-problems').replaceChildren(...(report.problems || []).map((p) => el('li', {}, JSON.stringify(p))));
    await loadCheckpoint();
  }

  async function loadCheckpoint() {
    const res = await fetch('/v1/log/checkpoint');
    byTestId('checkpoint').textContent = res.ok ? JSON.stringify(await res.json(), null, 2) : 'No checkpoint has been signed yet.';
  }

  const now = Date.now();
  byTestId('report-from').value = new Date(now - 30 * 24 * 3600_000).toISOString();
  byTestId('report-to').value = new Date(now + 3600_000).toISOString();
  byTestId('diff-run').addEventListener('click', guarded(diff));
  byTestId('report-load').addEventListener('click', guarded(loadReport));
  byTestId('decisions-load').addEventListener('click', guarded(loadDecisions));
  byTestId('verify-run').addEventListener('click', guarded(verify));
  wireToken(start);
})();
