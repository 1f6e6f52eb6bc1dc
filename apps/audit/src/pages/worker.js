// The worker page: my score and what moved it, my decisions, the explanation of one task with a
// chart of my score against the selected worker's, my record as a download, and an appeal.
(function () {
  'use strict';
  const { api, el, byTestId, showError, barChartSvg, svgElement, formatNumber, decodeJwtPayload, wireToken, download } = window.PageKit;
  let workerId = '';
  let decisionId = '';

  const path = (suffix) => `/v1/workers/${encodeURIComponent(workerId)}${suffix}`;

  async function start(token) {
    showError('error', null);
    try {
      workerId = String(decodeJwtPayload(token).sub || '');
      byTestId('worker-id').textContent = workerId || '–';
      await Promise.all([loadDecisions(), loadScore()]);
    } catch (error) {
      showError('error', error);
    }
  }

  async function loadDecisions() {
    const { decisions } = await api(path('/decisions'));
    const body = byTestId('decisions-table').querySelector('tbody');
    body.replaceChildren(
      ...decisions.map((d) => {
        const button = el('button', { type: 'button', testid: 'explain-button', 'data-task-id': d.taskId }, 'Why?');
        button.addEventListener('click', () => explain(d.taskId).catch((error) => showError('error', error)));
        return el('tr', { testid: 'decision-row', 'data-task-id': d.taskId }, [
          el('td', {}, d.decidedAt), el('td', {}, d.taskId), el('td', {}, String(d.rank)), el('td', {}, d.selected ? 'yes' : 'no'), el('td', {}, button),
        ]);
      }),
    );
    if (decisions.length === 0) body.append(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No decision has considered you yet.')));
  }

  /** The score history of my record: the latest against the one before, and the last changes with their causes. */
  async function loadScore() {
    const record = await api(path('/export?format=json'));
    const history = [...(record.scoreHistory || [])].sort((a, b) => (a.scoredAt < b.scoredAt ? -1 : a.scoredAt > b.scoredAt ? 1 : 0));
    const body = byTestId('score-changes').querySelector('tbody');
    if (history.length === 0) {
      byTestId('score-composite').textContent = 'not scored yet';
      byTestId('score-chart').replaceChildren();
      body.replaceChildren(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No score has been recorded for you yet.')));
      return;
    }
    const names = ['quality', 'latency', 'availability', 'composite'];
    const latest = history[history.length - 1];
    const before = history.length > 1 ? history[history.length - 2] : null;
    byTestId('score-composite').textContent = `${formatNumber(latest.composite)} (policy version ${latest.policyVersion}, ${latest.scoredAt})`;
    const series = [{ name: 'now', values: names.map((n) => latest[n]) }];
    if (before) series.push({ name: 'before the last change', values: names.map((n) => before[n]) });
    byTestId('score-chart').replaceChildren(svgElement(barChartSvg({ categories: names, series, max: 1 })));
    const delta = (a, b, n) => (b ? `${a[n] - b[n] >= 0 ? '+' : ''}${formatNumber(a[n] - b[n])}` : formatNumber(a[n]));
    const rows = [];
    for (let i = history.length - 1; i >= 0 && rows.length < 10; i--) {
      const s = history[i];
      const previous = i > 0 ? history[i - 1] : null;
      const cause = s.cause ? `${s.cause.type}${s.cause.taskId ? ` (task ${s.cause.taskId})` : ''}` : `policy version ${s.policyVersion} or time passing`;
      rows.push(el('tr', { testid: 'score-change', 'data-cause': s.cause ? s.cause.type : '' }, [
        el('td', {}, s.scoredAt), el('td', {}, cause), ...['composite', 'quality', 'latency', 'availability'].map((n) => el('td', {}, delta(s, previous, n))),
      ]));
    }
    body.replaceChildren(...rows);
  }

  async function explain(taskId) {
    showError('error', null);
    const x = await api(path(`/tasks/${encodeURIComponent(taskId)}/explanation`));
    decisionId = x.decisionId || '';
    byTestId('explanation').hidden = false;
    byTestId('explanation-task').textContent = taskId;
    byTestId('explanation-outcome').textContent = x.outcome;
    byTestId('explanation-basis').textContent = `(${x.basis})`;
    byTestId('explanation-reasons').replaceChildren(...x.reasons.map((r) => el('li', { 'data-code': r.code }, r.text)));
    byTestId('explanation-policy').textContent = x.policy
      ? `Policy version ${x.policy.version}; weights: ${Object.entries(x.policy.weights || {}).map(([k, v]) => `${k} ${formatNumber(v)}`).join(', ') || 'not recorded'}`
      : '';
    drawComparison(x);
    byTestId('explanation-counterfactual').textContent = x.counterfactual ? x.counterfactual.text : 'Nothing recorded.';
    byTestId('appeal-result').textContent = decisionId ? '' : 'There is no decision to appeal for this task.';
  }

  function drawComparison(x) {
    const chart = byTestId('explanation-chart');
    const gapBody = byTestId('explanation-gap').querySelector('tbody');
    if (!x.yours && !x.selected) {
      chart.replaceChildren(el('p', { class: 'muted' }, 'No scores were recorded for this decision.'));
      gapBody.replaceChildren();
      return;
    }
    const mine = x.yours ? { ...x.yours.components, final: x.yours.finalScore } : {};
    const theirs = x.selected ? { ...x.selected.components, final: x.selected.finalScore } : {};
    const names = [...new Set([...Object.keys(mine), ...Object.keys(theirs)])];
    const series = [{ name: 'me', values: names.map((n) => mine[n] ?? null) }];
    if (x.selected) series.push({ name: 'selected worker', values: names.map((n) => theirs[n] ?? null) });
    chart.replaceChildren(svgElement(barChartSvg({ categories: names, series })));
    const gap = x.gap || {};
    gapBody.replaceChildren(
      ...names.map((n) => el('tr', { testid: 'gap-row' }, [el('td', {}, n), el('td', {}, formatNumber(mine[n])), el('td', {}, formatNumber(theirs[n])), el('td', {}, formatNumber(gap[n]))])),
    );
  }

  async function appeal(event) {
    event.preventDefault();
    const result = byTestId('appeal-result');
    if (!decisionId) return;
    try {
      const filed = await api(`/v1/decisions/${encodeURIComponent(decisionId)}/appeals`, { method: 'POST', body: { statement: byTestId('appeal-statement').value } });
      result.textContent = `Appeal ${filed.appealId} filed: ${filed.status}.`;
    } catch (error) {
      result.textContent = `Not filed: ${error.message}`;
    }
  }

  function exportAs(format) {
    return (event) => {
      event.preventDefault();
      download(path(`/export?format=${format}`), `clearwork-record-${workerId}.${format}`).catch((error) => showError('error', error));
    };
  }

  byTestId('export-json').addEventListener('click', exportAs('json'));
  byTestId('export-csv').addEventListener('click', exportAs('csv'));
  byTestId('appeal-form').addEventListener('submit', appeal);
  wireToken(start);
})();
