import { Id } from '@clearwork/contracts';
import { openApiDocument, type HttpOperation } from '@clearwork/platform';
import { PolicyChangeRequest } from '@clearwork/scoring-core';
import { z } from 'zod';
import { Version } from '../policies/policy.controller';

const NO_POLICY = 'the policy version does not exist';

/** The scoring service's HTTP operations, with the schemas its controllers validate requests with. */
export const SCORING_OPERATIONS: readonly HttpOperation[] = [
  {
    id: 'getWorkerScore',
    method: 'get',
    path: '/v1/workers/{workerId}/score',
    summary: 'A worker\'s components, confidence and composite, and the recent events that moved each component and by how much.',
    access: ['worker', 'platform', 'auditor', 'reviewer'],
    params: z.object({ workerId: Id }),
    success: { status: 200, description: 'the score as of now under the current policy' },
    errors: { 403: 'the role may not call this, or a worker asks about another worker', 404: 'the worker is not registered' },
  },
  {
    id: 'getCurrentPolicy',
    method: 'get',
    path: '/v1/policies/current',
    summary: 'The scoring policy in force, with its plain-language disclosure.',
    access: 'public',
    success: { status: 200, description: 'the current policy' },
  },
  {
    id: 'listPolicies',
    method: 'get',
    path: '/v1/policies',
    summary: 'Every published version of the scoring policy.',
    access: 'public',
    success: { status: 200, description: 'the versions, oldest first' },
  },
  {
    id: 'getPolicy',
    method: 'get',
    path: '/v1/policies/{version}',
    summary: 'One version of the scoring policy, with its disclosure.',
    access: 'public',
    params: z.object({ version: Version }),
    success: { status: 200, description: 'the policy version' },
    errors: { 404: NO_POLICY },
  },
  {
    id: 'diffPolicies',
    method: 'get',
    path: '/v1/policies/{a}/diff/{b}',
    summary: 'What changed from version a to version b, and why.',
    access: 'public',
    params: z.object({ a: Version, b: Version }),
    success: { status: 200, description: 'every changed parameter with its old and new value, and the rationale of b' },
    errors: { 404: NO_POLICY },
  },
  {
    id: 'publishPolicy',
    method: 'post',
    path: '/v1/policies',
    summary: 'Publish the next policy version: changes to the current one, and a rationale.',
    description: 'Every worker\'s score is then recomputed under it, while events keep being processed.',
    access: ['platform'],
    body: PolicyChangeRequest,
    success: { status: 201, description: 'the published version' },
    errors: { 400: 'the request is invalid, or the changed policy is outside the bounds of its parameters' },
  },
];

export const SCORING_OPENAPI = openApiDocument({
  service: 'scoring',
  description: 'Worker scores and what moved them, and the published scoring policy: the criteria are public.',
  operations: SCORING_OPERATIONS,
});
