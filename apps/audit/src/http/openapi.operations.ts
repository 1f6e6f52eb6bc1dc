import { openApiDocument, type HttpOperation } from '@clearwork/platform';
import { AppealQuery, AppealRequest, AppealResolution } from '../appeals/appeal-schemas';
import { AppealParams, DecisionParams } from './appeals.controller';
import { Params as DecisionIdParams, Search as DecisionSearch } from './decisions.controller';
import { Params as ExplanationParams } from './explanation.controller';
import { Range, Seq } from './log.controller';
import { AssetParams } from './pages.controller';
import { Query_ as OutcomesQuery } from './reports.controller';
import { DecisionsQuery, ExportQuery, Params as WorkerParams } from './worker-record.controller';

const ANY_ROLE = ['worker', 'auditor', 'reviewer', 'platform'] as const;
const OWN_RECORDS = { 403: 'the role may not call this, or a worker asks about another worker' } as const;
const NO_DECISION = 'no such decision is recorded';
const NO_ENTRY = 'no log entry has that sequence number';

/** The audit service's HTTP operations, with the schemas its controllers validate requests with. */
export const AUDIT_OPERATIONS: readonly HttpOperation[] = [
  {
    id: 'explainTask',
    method: 'get',
    path: '/v1/workers/{workerId}/tasks/{taskId}/explanation',
    summary: 'Why a worker did or did not get a task.',
    description:
      'The outcome, reason codes in plain language, the worker\'s components against the selected worker\'s (never their identity), the gap per component, ' +
      'the smallest single change that would have won, the policy version and weights, whether the answer is recorded or reconstructed, and an inclusion proof.',
    access: ANY_ROLE,
    params: ExplanationParams,
    success: { status: 200, description: 'the explanation' },
    errors: { ...OWN_RECORDS, 404: 'no decision has been recorded for the task' },
  },
  {
    id: 'listWorkerDecisions',
    method: 'get',
    path: '/v1/workers/{workerId}/decisions',
    summary: 'The decisions that considered a worker, newest first.',
    access: ANY_ROLE,
    params: WorkerParams,
    query: DecisionsQuery,
    success: { status: 200, description: 'the decisions, with the worker\'s rank and whether they were selected' },
    errors: OWN_RECORDS,
  },
  {
    id: 'exportWorkerRecord',
    method: 'get',
    path: '/v1/workers/{workerId}/export',
    summary: 'A worker\'s whole portable record: tasks, pay, reviews and score history.',
    access: ANY_ROLE,
    params: WorkerParams,
    query: ExportQuery,
    success: { status: 200, description: 'the record as an attachment', contentTypes: ['application/json', 'text/csv'] },
    errors: OWN_RECORDS,
  },
  {
    id: 'fileAppeal',
    method: 'post',
    path: '/v1/decisions/{decisionId}/appeals',
    summary: 'A worker contests a decision, asking for human review.',
    access: ['worker'],
    params: DecisionParams,
    body: AppealRequest,
    success: { status: 201, description: 'the appeal, open' },
    errors: { 404: NO_DECISION, 409: 'the worker already has an open appeal of this decision' },
  },
  {
    id: 'listAppeals',
    method: 'get',
    path: '/v1/appeals',
    summary: 'Appeals, oldest first, optionally of one status.',
    access: ['reviewer', 'auditor'],
    query: AppealQuery,
    success: { status: 200, description: 'the appeals' },
  },
  {
    id: 'takeAppeal',
    method: 'post',
    path: '/v1/appeals/{id}/take',
    summary: 'A reviewer takes an open appeal.',
    access: ['reviewer'],
    params: AppealParams,
    success: { status: 200, description: 'the appeal, in review' },
    errors: { 404: 'no such appeal', 409: 'the appeal has already been taken or resolved' },
  },
  {
    id: 'resolveAppeal',
    method: 'post',
    path: '/v1/appeals/{id}/resolution',
    summary: 'The reviewer holding an appeal resolves it: upheld or overturned, with a note; the outcome goes into the log.',
    access: ['reviewer'],
    params: AppealParams,
    body: AppealResolution,
    success: { status: 200, description: 'the appeal, resolved' },
    errors: { 404: 'no such appeal', 409: 'the appeal is not in review, or another reviewer holds it' },
  },
  {
    id: 'searchDecisions',
    method: 'get',
    path: '/v1/decisions',
    summary: 'Search recorded decisions, newest first.',
    access: ['auditor', 'reviewer'],
    query: DecisionSearch,
    success: { status: 200, description: 'the decisions found' },
  },
  {
    id: 'getDecision',
    method: 'get',
    path: '/v1/decisions/{id}',
    summary: 'One decision record with the offers that followed it, its log sequence number and inclusion proof.',
    access: ['auditor', 'reviewer'],
    params: DecisionIdParams,
    success: { status: 200, description: 'the decision record' },
    errors: { 404: NO_DECISION },
  },
  {
    id: 'replayDecision',
    method: 'post',
    path: '/v1/decisions/{id}/replay',
    summary: 'Recompute a decision from its record under the recorded policy: identical, or the difference.',
    access: ['auditor', 'reviewer'],
    params: DecisionIdParams,
    success: { status: 200, description: 'the replay\'s verdict' },
    errors: { 404: NO_DECISION },
  },
  {
    id: 'outcomeReport',
    method: 'get',
    path: '/v1/reports/outcomes',
    summary: 'Outcomes per cohort group: selection rates, impact ratios with the four-fifths flag, sample sizes, concentration, new-worker exposure, pay per active hour.',
    access: ['auditor'],
    query: OutcomesQuery,
    success: { status: 200, description: 'the report', contentTypes: ['application/json', 'text/csv'] },
  },
  {
    id: 'logPublicKey',
    method: 'get',
    path: '/v1/log/public-key',
    summary: 'The Ed25519 key that signs the log\'s checkpoints.',
    access: 'public',
    success: { status: 200, description: 'the public key' },
  },
  {
    id: 'logCheckpoint',
    method: 'get',
    path: '/v1/log/checkpoint',
    summary: 'The latest signed tree head of the log.',
    access: 'public',
    success: { status: 200, description: 'the checkpoint: size, root hash, time and signature' },
    errors: { 404: 'the log is empty: no checkpoint has been signed yet' },
  },
  {
    id: 'logConsistency',
    method: 'get',
    path: '/v1/log/consistency',
    summary: 'A proof that the log at size to extends the log at the earlier size from (RFC 6962).',
    access: 'public',
    query: Range,
    success: { status: 200, description: 'the consistency proof' },
    errors: { 404: 'the log is shorter than the size asked for' },
  },
  {
    id: 'logInclusionProof',
    method: 'get',
    path: '/v1/log/entries/{seq}/proof',
    summary: 'A proof that an entry is in the log (RFC 6962): hashes only.',
    access: ANY_ROLE,
    params: Seq,
    success: { status: 200, description: 'the inclusion proof against the latest checkpoint' },
    errors: { 404: NO_ENTRY },
  },
  {
    id: 'logEntry',
    method: 'get',
    path: '/v1/log/entries/{seq}',
    summary: 'One log entry with its canonical body and hashes.',
    access: ['auditor', 'reviewer', 'platform'],
    params: Seq,
    success: { status: 200, description: 'the entry' },
    errors: { 404: NO_ENTRY },
  },
  {
    id: 'verifyLog',
    method: 'get',
    path: '/v1/log/verify',
    summary: 'Verify the whole log: hash chain, Merkle root and checkpoint signatures.',
    access: ['auditor', 'platform'],
    success: { status: 200, description: 'the verification report' },
  },
  {
    id: 'exportLog',
    method: 'get',
    path: '/v1/log/export',
    summary: 'The whole log as NDJSON (clearwork-log/1), to check offline with scripts/verify-log.ts.',
    access: ['auditor'],
    success: { status: 200, description: 'the export, streamed', contentTypes: ['application/x-ndjson'] },
  },
  {
    id: 'listRecordedPolicies',
    method: 'get',
    path: '/v1/policies',
    summary: 'The scoring policy versions as the log recorded them, oldest first, with their weights.',
    description: 'What decisions were judged by, read back from the log (the built-in default stands as version 1 until one is published). The policy in force is served by the scoring service.',
    access: ANY_ROLE,
    success: { status: 200, description: 'the recorded policy versions' },
  },
  {
    id: 'workerPage',
    method: 'get',
    path: '/app/worker',
    summary: 'The worker page: my decisions, explanations with a chart, my record, appeals.',
    description: 'Static; it calls this API with the token the worker pastes into it.',
    access: 'public',
    success: { status: 200, description: 'the page', contentTypes: ['text/html'] },
  },
  {
    id: 'auditorPage',
    method: 'get',
    path: '/app/auditor',
    summary: 'The auditor console: policy history and diff, outcome report, replay, log verification.',
    description: 'Static; it calls this API with the token the auditor pastes into it.',
    access: 'public',
    success: { status: 200, description: 'the page', contentTypes: ['text/html'] },
  },
  {
    id: 'pageAsset',
    method: 'get',
    path: '/app/assets/{name}',
    summary: 'A script or stylesheet of the pages.',
    access: 'public',
    params: AssetParams,
    success: { status: 200, description: 'the file', contentTypes: ['text/javascript', 'text/css'] },
  },
];

export const AUDIT_OPENAPI = openApiDocument({
  service: 'audit',
  description:
    'The append-only, tamper-evident log of decisions, policies and outcomes, and the answers it gives: explanations and records for workers, ' +
    'appeals for reviewers, decision search, replay and outcome reports for auditors, and proofs for anyone.',
  operations: AUDIT_OPERATIONS,
});
