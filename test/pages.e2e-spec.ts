import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { TOPICS } from '@clearwork/contracts';
import { PAGES_CONTENT_SECURITY_POLICY } from '@clearwork/platform';
import { aTaskPosted, aWorkerEvent, aWorkerRegistered } from '@clearwork/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { eventually } from './support/eventually';
import { sendWorkerEventsAndWait, waitForEvents } from './support/stream';
import { engineSuite } from './support/suite';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The worker page and the auditor console in headless Chromium, against the real engine: a worker
 * reads why they got a task (and another why they did not), an auditor verifies the log, reads
 * the outcome report and replays the decision. The pages run under their Content-Security-Policy,
 * so a script the policy blocks fails the test.
 */
describe('worker page and auditor console in a browser', () => {
  const { engine, probe } = engineSuite([TOPICS.offers, TOPICS.decisions]);
  const skill = `pages-${randomUUID().slice(0, 8)}`;
  const north = aWorkerRegistered({ skills: [skill], languages: ['en'], capacity: 2, cohort: { region: 'north' } });
  const south = aWorkerRegistered({ skills: [skill], languages: ['en'], capacity: 2, cohort: { region: 'south' } });
  const task = aTaskPosted({ requiredSkills: [skill], languages: ['en'], payCents: 400 });
  let browser: Browser | undefined;
  let selected = '';
  let other = '';
  let decisionId = '';
  /** What the pages reported as errors: uncaught exceptions, console errors, CSP violations. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });

    await sendWorkerEventsAndWait(engine, probe, [
      north, south,
      aWorkerEvent('WorkerWentOnline', { workerId: north.data.workerId }),
      aWorkerEvent('WorkerWentOnline', { workerId: south.data.workerId }),
    ]);
    await probe.send(TOPICS.tasks, [{ key: task.data.taskId, value: task }]);
    const [offer] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => d.taskId === task.data.taskId);
    selected = offer.data.workerId;
    other = selected === north.data.workerId ? south.data.workerId : north.data.workerId;
    decisionId = offer.data.decisionId;
    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('OfferAccepted', { workerId: selected, offerId: offer.data.offerId, taskId: task.data.taskId })]);
    await waitForEvents(probe, TOPICS.offers, 'TaskAssigned', (d) => d.taskId === task.data.taskId);
    for (const [workerId, outcome] of [[selected, 'assigned'], [other, 'ranked_below']]) {
      await eventually(async () => {
        const res = await engine.get('audit', `/v1/workers/${workerId}/tasks/${task.data.taskId}/explanation`, engine.token('worker', workerId));
        if (res.body?.outcome !== outcome) throw new Error(`explanation: ${res.status} ${res.body?.outcome}`);
      }, { what: `the audit log to say ${outcome}` });
      await eventually(async () => {
        const res = await engine.get('audit', `/v1/workers/${workerId}/export?format=json`, engine.token('worker', workerId));
        if (!res.body?.scoreHistory?.some((s: { cause: { type: string } | null }) => s.cause?.type === 'WorkerRegistered')) throw new Error('no score caused by the registration yet');
      }, { what: 'the audit log to hold the score the registration gave' });
    }
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
    pageErrors.length = 0;
  });

  async function open(path: string, token: string): Promise<Page> {
    if (!browser) throw new Error('the browser did not start');
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`));
    page.on('console', (message) => {
      // The browser asks for /favicon.ico on its own; the pages have none, and its 404 is no fault of theirs.
      if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) pageErrors.push(`${path}: ${message.text()}`);
    });
    const response = await page.goto(engine.url('audit', path));
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(PAGES_CONTENT_SECURITY_POLICY);
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('token-save').click();
    return page;
  }

  async function explanationOf(workerId: string): Promise<Page> {
    const page = await open('/app/worker', engine.token('worker', workerId));
    await expect(page.getByTestId('worker-id').textContent()).resolves.toBe(workerId);
    await page.locator(`[data-testid="explain-button"][data-task-id="${task.data.taskId}"]`).click();
    await page.getByTestId('explanation').waitFor();
    return page;
  }

  it('signs in from a link carrying the token in its fragment (as npm start prints them), and takes it out of the address bar', async () => {
    if (!browser) throw new Error('the browser did not start');
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(`link: ${error.message}`));
    const token = engine.token('worker', selected);
    expect((await page.goto(engine.url('audit', `/app/worker#token=${token}`)))?.status()).toBe(200);
    await expect(page.getByTestId('worker-id').textContent()).resolves.toBe(selected);
    await page.locator(`[data-testid="explain-button"][data-task-id="${task.data.taskId}"]`).waitFor();
    expect(page.url()).not.toContain('token=');
    await expect(page.getByTestId('token-input').inputValue()).resolves.toBe(token);
    await page.close();
  });

  it('shows the assigned worker their decision, the outcome, and a chart of their score', async () => {
    const page = await explanationOf(selected);
    await expect(page.getByTestId('explanation-outcome').textContent()).resolves.toBe('assigned');
    await expect(page.getByTestId('explanation-reasons').textContent()).resolves.toMatch(/accepted it/);
    expect(await page.locator('[data-testid="explanation-chart"] [data-testid="chart-bar"]').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('gap-row').count()).toBeGreaterThan(0);

    // My score and what moved it: the latest score, a chart of it, and each change with its cause.
    await expect(page.getByTestId('score-composite').textContent()).resolves.toMatch(/^\d(\.\d+)? \(policy version \d+, /);
    expect(await page.locator('[data-testid="score-chart"] [data-testid="chart-bar"]').count()).toBeGreaterThan(0);
    const causes = await page.getByTestId('score-change').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-cause')));
    expect(causes).toContain('WorkerRegistered');
    await page.close();
  });

  it('tells a worker ranked below why, compares them with the selected worker, and takes an appeal', async () => {
    const page = await explanationOf(other);
    await expect(page.getByTestId('explanation-outcome').textContent()).resolves.toBe('ranked_below');
    await expect(page.getByTestId('explanation-reasons').textContent()).resolves.toMatch(/higher score/);
    const bars = page.locator('[data-testid="explanation-chart"] [data-testid="chart-bar"]');
    expect(await bars.count()).toBeGreaterThan(1);
    expect(await page.locator('[data-testid="chart-bar"][data-series="selected worker"]').count()).toBeGreaterThan(0);
    await expect(page.getByTestId('explanation-counterfactual').textContent()).resolves.not.toBe('');
    expect(await page.content()).not.toContain(selected);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    expect(download.suggestedFilename()).toBe(`clearwork-record-${other}.json`);
    const record = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(JSON.stringify(record)).toContain(task.data.taskId);

    await page.getByTestId('appeal-statement').fill('My availability was measured on a day the platform was down.');
    await page.getByTestId('appeal-submit').click();
    await page.getByTestId('appeal-result').filter({ hasText: /filed: open/ }).waitFor();
    await page.close();
  });

  it('lets an auditor compare policy versions, verify the log, read the outcome report and replay the decision as identical', async () => {
    const changed = await engine.post('scoring', '/v1/policies', { rationale: 'Give up sooner on hard-to-place tasks.', changes: { dispatch: { maxAttempts: 2 } } }, engine.token('platform'));
    expect(changed.status).toBe(201);
    await eventually(async () => {
      const listed = await engine.get('audit', '/v1/policies', engine.token('auditor'));
      if (!JSON.stringify(listed.body).includes(`"version":${changed.body.version}`)) throw new Error(`policies: ${JSON.stringify(listed.body).slice(0, 200)}`);
    }, { what: 'the audit log to record the new policy version' });
    const page = await open('/app/auditor', engine.token('auditor'));
    await page.getByTestId('policy-weight').first().waitFor();
    await expect(page.getByTestId('policy-current').textContent()).resolves.toMatch(new RegExp(`^version ${changed.body.version} `));
    await page.getByTestId('diff-run').click();
    await page.getByTestId('diff-row').first().waitFor();
    const rows = await page.getByTestId('diff-row').allTextContents();
    // Path, from, to: the setting changed and the version moved on; nothing else.
    expect(rows.sort()).toEqual([expect.stringMatching(/^dispatch\.maxAttempts\d+2$/), `version${changed.body.version - 1}${changed.body.version}`]);

    await page.getByTestId('verify-run').click();
    await page.getByTestId('verify-result').filter({ hasText: /^ok/ }).waitFor();
    await expect(page.getByTestId('checkpoint').textContent()).resolves.toMatch(/"treeSize"/);

    await page.getByTestId('report-load').click();
    await page.getByTestId('report-row').first().waitFor();
    const groups = await page.getByTestId('report-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-group')));
    expect(groups).toEqual(expect.arrayContaining(['north', 'south']));
    expect(await page.getByTestId('report-flag').count()).toBe(groups.length);
    expect(await page.locator('[data-testid="report-chart"] [data-testid="chart-bar"]').count()).toBeGreaterThan(0);

    await page.getByTestId('decisions-load').click();
    await page.locator(`[data-testid="replay-button"][data-decision-id="${decisionId}"]`).click();
    await page.getByTestId('replay-result').filter({ hasText: 'identical' }).waitFor();
    await expect(page.getByTestId('replay-result').textContent()).resolves.toContain(decisionId);
    await page.close();
  });
});
