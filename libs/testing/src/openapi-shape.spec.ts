import { openApiProblems } from './openapi-shape';

const ok = () => ({
  openapi: '3.1.0',
  info: { title: 'Items', version: '1.0.0' },
  paths: {
    '/v1/items/{itemId}': {
      get: {
        operationId: 'getItem',
        summary: 'One item.',
        security: [{ bearer: [] }],
        parameters: [{ name: 'itemId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'the item' }, '404': { description: 'none', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
      },
    },
  },
  components: { schemas: { Error: { type: 'object' } }, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
});

describe('openApiProblems', () => {
  it('finds nothing wrong with a sound document', () => {
    expect(openApiProblems(ok())).toEqual([]);
  });

  it('names what is wrong', () => {
    const version = { ...ok(), openapi: '3.0.3' };
    expect(openApiProblems(version)).toEqual([expect.stringContaining('openapi')]);

    const noResponses = ok();
    noResponses.paths['/v1/items/{itemId}'].get.responses = {} as never;
    expect(openApiProblems(noResponses)).toEqual([expect.stringContaining('at least one response')]);

    const missing = ok();
    missing.paths['/v1/items/{itemId}'].get.parameters = [];
    missing.paths['/v1/items/{itemId}'].get.security = [{ oauth: [] }] as never;
    missing.components.schemas = {} as never;
    expect(openApiProblems(missing)).toEqual([
      'GET /v1/items/{itemId}: path parameters do not match the template',
      'GET /v1/items/{itemId}: unknown security scheme oauth',
      '$ref #/components/schemas/Error leads nowhere',
    ]);

    const twice = ok() as ReturnType<typeof ok> & { paths: Record<string, unknown> };
    twice.paths['/v1/other'] = { post: { ...ok().paths['/v1/items/{itemId}'].get, parameters: [] } };
    expect(openApiProblems(twice)).toEqual(['POST /v1/other: operationId getItem is used twice']);
  });
});
