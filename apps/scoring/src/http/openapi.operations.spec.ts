import { declaredRoutes, documentedRoutes } from '@clearwork/testing/http-routes';
import { openApiProblems } from '@clearwork/testing/openapi-shape';
import { loadScoringConfig } from '../config';
import { ScoringModule } from '../scoring.module';
import { SCORING_OPENAPI } from './openapi.operations';

describe('scoring OpenAPI document', () => {
  it('is an OpenAPI 3.1 document', () => {
    expect(openApiProblems(SCORING_OPENAPI)).toEqual([]);
  });

  it('documents every route the controllers declare, with the same access and status, and nothing else', () => {
    expect(documentedRoutes(SCORING_OPENAPI)).toEqual(declaredRoutes(ScoringModule.register(loadScoringConfig({}))));
  });
});
