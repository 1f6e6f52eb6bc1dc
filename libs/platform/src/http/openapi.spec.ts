import { openApiProblems } from '@clearwork/testing/openapi-shape';
import { z } from 'zod';
import { openApiDocument, PLATFORM_OPERATIONS, type HttpOperation } from './openapi';
import { openApiPage } from './openapi-page';

const Params = z.object({ itemId: z.string().min(1) });
const Query = z.object({ limit: z.coerce.number().int().min(1).max(50).default(10), q: z.string() });
const Body = z.object({ name: z.string().min(1), tags: z.array(z.string()).default([]) });

const OPERATIONS: HttpOperation[] = [
  {
    id: 'getItem',
    method: 'get',
    path: '/v1/items/{itemId}',
    summary: 'One item <b>as is</b>.',
    access: ['worker', 'auditor'],
    params: Params,
    query: Query,
    success: { status: 200, description: 'the item' },
    errors: { 404: 'no such item' },
  },
  { id: 'postItem', method: 'post', path: '/v1/items', summary: 'A new item.', access: ['platform'], body: Body, success: { status: 201, description: 'created' } },
  { id: 'listItems', method: 'get', path: '/v1/items', summary: 'Every item.', access: 'public', success: { status: 200, description: 'the items', contentTypes: ['text/csv'] } },
];

const document = openApiDocument({ service: 'items', description: 'Items & more.', operations: OPERATIONS });

describe('openApiDocument', () => {
  it('is an OpenAPI 3.1 document with the service operations and the platform ones', () => {
    expect(openApiProblems(document)).toEqual([]);
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('Clearwork items API');
    expect(Object.keys(document.paths)).toEqual(['/v1/items/{itemId}', '/v1/items', ...PLATFORM_OPERATIONS.map((o) => o.path)]);
    expect(Object.keys(document.paths['/v1/items'])).toEqual(['post', 'get']);
  });

  it('turns the params and query schemas into parameters, optional where zod has a default', () => {
    const operation = document.paths['/v1/items/{itemId}'].get!;
    expect(operation.parameters).toEqual([
      { name: 'itemId', in: 'path', required: true, schema: { type: 'string', minLength: 1 } },
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 50, default: 10 } },
      { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
    ]);
  });

  it('gives the body schema as JSON Schema 2020-12', () => {
    const body = document.paths['/v1/items'].post!.requestBody!.content['application/json'].schema;
    expect(body).toMatchObject({ type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } });
    expect(body).not.toHaveProperty('$schema');
  });

  it('adds the responses every call can get: 400 when it validates, 401 and 403 when it needs a token, 429', () => {
    expect(Object.keys(document.paths['/v1/items/{itemId}'].get!.responses)).toEqual(['200', '400', '401', '403', '404', '429']);
    expect(Object.keys(document.paths['/v1/items'].post!.responses)).toEqual(['201', '400', '401', '403', '429']);
    expect(Object.keys(document.paths['/v1/items'].get!.responses)).toEqual(['200', '429']);
    expect(Object.keys(document.paths['/health'].get!.responses)).toEqual(['200', '503']);
    expect(document.paths['/v1/items/{itemId}'].get!.responses['404']).toEqual({
      description: 'no such item',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    });
    expect(document.paths['/v1/items'].get!.responses['200'].content).toEqual({ 'text/csv': {} });
  });

  it('states who may call each operation', () => {
    const get = document.paths['/v1/items/{itemId}'].get!;
    expect([get.security, get['x-roles'], get.description]).toEqual([[{ bearer: [] }], ['worker', 'auditor'], 'Roles: worker, auditor.']);
    const list = document.paths['/v1/items'].get!;
    expect([list.security, list['x-roles'], list.description]).toEqual([[], undefined, 'No token needed.']);
    for (const path of ['/health', '/metrics', '/docs', '/docs/openapi.json']) expect(document.paths[path].get!.security).toEqual([]);
  });

  it('refuses path parameters that the params schema does not match, and operations described twice', () => {
    const base = OPERATIONS[0];
    const build = (...operations: HttpOperation[]) => () => openApiDocument({ service: 'x', description: 'x', operations });
    expect(build({ ...base, params: undefined })).toThrow('GET /v1/items/{itemId}: the params schema must have exactly the path parameters (itemId), not (none)');
    expect(build({ ...base, path: '/v1/items/{id}' })).toThrow('the params schema must have exactly the path parameters (id), not (itemId)');
    expect(build({ ...base, params: z.string() })).toThrow('the path schema must be an object');
    expect(build(base, { ...base, id: 'other' })).toThrow('GET /v1/items/{itemId} is described twice');
    expect(build(base, { ...base, method: 'post' })).toThrow('operationId getItem is used twice');
  });
});

describe('openApiPage', () => {
  const page = openApiPage(document);

  it('lists every operation with its access, parameters, body fields and responses', () => {
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods)) expect(page).toContain(`<code>${method.toUpperCase()} ${path}</code>`);
    }
    expect(page).toContain('<li><code>limit</code> (query): integer, ≥ 1, ≤ 50, default 10</li>');
    expect(page).toContain('<li><code>name</code> (required): string, length ≥ 1</li>');
    expect(page).toContain('<p>Roles: worker, auditor.</p>');
    expect(page).toContain('<li>404: no such item</li>');
    expect(page).toContain('<a href="/docs/openapi.json">');
  });

  it('escapes text and loads nothing from anywhere', () => {
    expect(page).toContain('One item &#60;b&#62;as is&#60;/b&#62;.');
    expect(page).toContain('Items &#38; more.');
    expect(page).not.toMatch(/<script|<link|<style|<img|src=|https?:/i);
  });
});
