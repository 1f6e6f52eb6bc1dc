import { declaredRoutes, documentedRoutes } from '@clearwork/testing/http-routes';
import { openApiProblems } from '@clearwork/testing/openapi-shape';
import { loadAuditConfig } from '../config';
import { AuditModule } from '../audit.module';
import { AUDIT_OPENAPI } from './openapi.operations';

describe('audit OpenAPI document', () => {
  it('is an OpenAPI 3.1 document', () => {
    expect(openApiProblems(AUDIT_OPENAPI)).toEqual([]);
  });

  it('documents every route the controllers declare, with the same access and status, and nothing else', () => {
    expect(documentedRoutes(AUDIT_OPENAPI)).toEqual(declaredRoutes(AuditModule.register(loadAuditConfig({}))));
  });
});
