import { ValidationIssue } from '@clearwork/contracts';
import { z } from 'zod';
import type { Role } from '../auth/jwt';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 429 | 503;
export type JsonSchema = { [key: string]: unknown };

/** One HTTP operation of a service, described from the zod schemas its controller validates with. */
export interface HttpOperation {
  /** The OpenAPI operationId, unique within the service. */
  readonly id: string;
  readonly method: HttpMethod;
  /** The path as integrators write it, parameters in braces: `/v1/tasks/{taskId}`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  /** The roles whose bearer token may call it, or `public` when no token is needed. */
  readonly access: 'public' | readonly Role[];
  /** Validates the path parameters: an object with one key per `{name}` in the path. */
  readonly params?: z.ZodType;
  /** Validates the query string: an object with one key per parameter. */
  readonly query?: z.ZodType;
  /** Validates the JSON body. */
  readonly body?: z.ZodType;
  /** The status of success and what comes back; JSON unless `contentTypes` says otherwise. */
  readonly success: { readonly status: 200 | 201 | 202; readonly description: string; readonly contentTypes?: readonly string[] };
  /** Errors beyond the implied ones: 400 when anything is validated, 401 and 403 when a token is needed, 429 when rate limited. */
  readonly errors?: Readonly<Partial<Record<ErrorStatus, string>>>;
  /** False for the paths the rate limiter never refuses. */
  readonly rateLimited?: boolean;
}

/** The HTTP interface of one service. */
export interface OpenApiServiceDescription {
  readonly service: string;
  readonly description: string;
  readonly operations: readonly HttpOperation[];
}

export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly schema: JsonSchema;
}

export interface OpenApiResponse {
  readonly description: string;
  readonly content?: Readonly<Record<string, { readonly schema?: JsonSchema }>>;
}

export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly security: readonly Readonly<Record<string, readonly string[]>>[];
  readonly 'x-roles'?: readonly Role[];
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: { readonly required: true; readonly content: { readonly 'application/json': { readonly schema: JsonSchema } } };
  readonly responses: Readonly<Record<string, OpenApiResponse>>;
}

/** An OpenAPI 3.1 document: JSON Schema 2020-12, which zod writes natively. */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly paths: Readonly<Record<string, Readonly<Partial<Record<HttpMethod, OpenApiOperation>>>>>;
  readonly components: {
    readonly securitySchemes: Readonly<Record<string, JsonSchema>>;
    readonly schemas: Readonly<Record<string, JsonSchema>>;
  };
}

/** What every service serves beside its own operations (see `OpsController` and `docsController`). */
export const PLATFORM_OPERATIONS: readonly HttpOperation[] = [
  {
    id: 'health',
    method: 'get',
    path: '/health',
    summary: 'Whether PostgreSQL, Redis and the Kafka consumer are up, with each check.',
    access: 'public',
    rateLimited: false,
    success: { status: 200, description: 'every dependency is up' },
    errors: { 503: 'a dependency is down; the body lists each check' },
  },
  {
    id: 'metrics',
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics.',
    access: 'public',
    rateLimited: false,
    success: { status: 200, description: 'the metrics in the Prometheus text format', contentTypes: ['text/plain'] },
  },
  {
    id: 'docs',
    method: 'get',
    path: '/docs',
    summary: 'This description as a plain HTML page.',
    access: 'public',
    success: { status: 200, description: 'a page listing every operation', contentTypes: ['text/html'] },
  },
  {
    id: 'openApi',
    method: 'get',
    path: '/docs/openapi.json',
    summary: 'This description as an OpenAPI 3.1 document.',
    access: 'public',
    success: { status: 200, description: 'the OpenAPI document' },
  },
];

const ERROR_SCHEMA = 'Error';
const BEARER = 'bearer';
const IMPLIED_ERRORS: Readonly<Partial<Record<ErrorStatus, string>>> = {
  400: 'the request is invalid; the issues of the body name every field at fault',
  401: 'no bearer token, or one that does not verify',
  403: 'the role of the token may not call this',
  429: 'too many requests from this client; retry after the seconds the Retry-After header gives',
};

/** The body of every error response. */
export const HttpErrorBody = z.object({
  statusCode: z.number().int(),
  error: z.string().optional(),
  message: z.string(),
  issues: z.array(ValidationIssue).optional(),
});

/** Builds the OpenAPI 3.1 document of a service: its own operations, then the platform's. */
export function openApiDocument(description: OpenApiServiceDescription): OpenApiDocument {
  const paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>> = {};
  const ids = new Set<string>();
  for (const operation of [...description.operations, ...PLATFORM_OPERATIONS]) {
    const where = `${operation.method.toUpperCase()} ${operation.path}`;
    if (ids.has(operation.id)) throw new Error(`${where}: operationId ${operation.id} is used twice`);
    if (paths[operation.path]?.[operation.method]) throw new Error(`${where} is described twice`);
    ids.add(operation.id);
    paths[operation.path] = { ...paths[operation.path], [operation.method]: openApiOperation(operation) };
  }
  return {
    openapi: '3.1.0',
    info: { title: `Clearwork ${description.service} API`, version: '1.0.0', description: description.description },
    paths,
    components: {
      securitySchemes: {
        [BEARER]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'HS256 token with the claims sub, role and exp; a worker\'s sub is its workerId' },
      },
      schemas: { [ERROR_SCHEMA]: jsonSchemaOf(HttpErrorBody) },
    },
  };
}

function openApiOperation(operation: HttpOperation): OpenApiOperation {
  const where = `${operation.method.toUpperCase()} ${operation.path}`;
  const parameters = [...parametersOf(operation.params, 'path', where), ...parametersOf(operation.query, 'query', where)];
  const inPath = [...operation.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
  const described = parameters.filter((p) => p.in === 'path').map((p) => p.name).sort();
  if (inPath.join() !== described.join()) {
    throw new Error(`${where}: the params schema must have exactly the path parameters (${inPath.join(', ') || 'none'}), not (${described.join(', ') || 'none'})`);
  }
  const isPublic = operation.access === 'public';
  const validates = Boolean(operation.params ?? operation.query ?? operation.body);
  const implied: ErrorStatus[] = [...(validates ? [400 as const] : []), ...(isPublic ? [] : [401 as const, 403 as const]), ...(operation.rateLimited === false ? [] : [429 as const])];
  const errors: Partial<Record<ErrorStatus, string>> = { ...Object.fromEntries(implied.map((s) => [s, IMPLIED_ERRORS[s]])), ...operation.errors };
  const responses: Record<string, OpenApiResponse> = {
    [operation.success.status]: {
      description: operation.success.description,
      content: Object.fromEntries((operation.success.contentTypes ?? ['application/json']).map((type) => [type, {}])),
    },
  };
  for (const status of (Object.keys(errors) as `${ErrorStatus}`[]).sort()) {
    responses[status] = { description: errors[Number(status) as ErrorStatus]!, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA}` } } } };
  }
  return {
    operationId: operation.id,
    summary: operation.summary,
    description: [operation.description, isPublic ? 'No token needed.' : `Roles: ${operation.access.join(', ')}.`].filter(Boolean).join('\n\n'),
    security: isPublic ? [] : [{ [BEARER]: [] }],
    'x-roles': isPublic ? undefined : operation.access,
    parameters: parameters.length > 0 ? parameters : undefined,
    requestBody: operation.body ? { required: true, content: { 'application/json': { schema: jsonSchemaOf(operation.body) } } } : undefined,
    responses,
  };
}

function parametersOf(schema: z.ZodType | undefined, location: OpenApiParameter['in'], where: string): OpenApiParameter[] {
  if (!schema) return [];
  const json = jsonSchemaOf(schema) as { type?: unknown; properties?: Record<string, JsonSchema>; required?: string[] };
  if (json.type !== 'object' || !json.properties) throw new Error(`${where}: the ${location} schema must be an object`);
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties).map(([name, property]) => ({ name, in: location, required: location === 'path' || required.has(name), schema: property }));
}

/** What a request may carry (so fields with defaults are optional), as JSON Schema 2020-12. */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' });
  return rest;
}
