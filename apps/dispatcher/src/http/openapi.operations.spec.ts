import { declaredRoutes, documentedRoutes } from '@clearwork/testing/http-routes';
import { openApiProblems } from '@clearwork/testing/openapi-shape';
import { loadDispatcherConfig } from '../config';
import { DispatcherModule } from '../dispatcher.module';
import { DISPATCHER_OPENAPI } from './openapi.operations';

describe('dispatcher OpenAPI document', () => {
  it('is an OpenAPI 3.1 document', () => {
    expect(openApiProblems(DISPATCHER_OPENAPI)).toEqual([]);
  });

  it('documents every route the controllers declare, with the same access and status, and nothing else', () => {
    expect(documentedRoutes(DISPATCHER_OPENAPI)).toEqual(declaredRoutes(DispatcherModule.register(loadDispatcherConfig({}))));
  });
});
