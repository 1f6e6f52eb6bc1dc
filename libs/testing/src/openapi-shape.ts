import { z } from 'zod';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const SchemaObject = z.record(z.string(), z.unknown());

const Parameter = z.object({
  name: z.string().min(1),
  in: z.enum(['path', 'query', 'header', 'cookie']),
  required: z.boolean().optional(),
  schema: SchemaObject,
});
const Response = z.object({
  description: z.string(),
  content: z.record(z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/), z.object({ schema: SchemaObject.optional() })).optional(),
});
const Operation = z.object({
  operationId: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
  summary: z.string().min(1),
  description: z.string().optional(),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
  parameters: z.array(Parameter).optional(),
  requestBody: z.object({ required: z.boolean().optional(), content: z.record(z.string(), z.object({ schema: SchemaObject })) }).optional(),
  responses: z.record(z.string().regex(/^([1-5]\d\d|default)$/), Response).refine((r) => Object.keys(r).length > 0, 'at least one response'),
});

/** The parts of OpenAPI 3.1 a reader relies on; the rest of the specification is not checked. */
const OpenApi31 = z.object({
  openapi: z.string().regex(/^3\.1\.\d+$/),
  info: z.object({ title: z.string().min(1), version: z.string().min(1), description: z.string().optional() }),
  paths: z.record(z.string().regex(/^\/[^\s]*$/), z.partialRecord(z.enum(METHODS), Operation)),
  components: z
    .object({ schemas: z.record(z.string(), SchemaObject).optional(), securitySchemes: z.record(z.string(), SchemaObject).optional() })
    .optional(),
});

/**
 * What is wrong with `document` as an OpenAPI 3.1 document: its shape, duplicate operation ids,
 * path templates without a required path parameter (or the reverse), security schemes and
 * `$ref`s that lead nowhere. Empty when nothing is.
 */
export function openApiProblems(document: unknown): string[] {
  const parsed = OpenApi31.safeParse(document);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  const problems: string[] = [];
  const ids = new Set<string>();
  const schemes = new Set(Object.keys(parsed.data.components?.securitySchemes ?? {}));
  for (const [path, methods] of Object.entries(parsed.data.paths)) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    for (const [method, operation] of Object.entries(methods)) {
      if (!operation) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (ids.has(operation.operationId)) problems.push(`${where}: operationId ${operation.operationId} is used twice`);
      ids.add(operation.operationId);
      const inPath = (operation.parameters ?? []).filter((p) => p.in === 'path');
      if (inPath.map((p) => p.name).sort().join() !== templated.join()) problems.push(`${where}: path parameters do not match the template`);
      if (inPath.some((p) => p.required !== true)) problems.push(`${where}: a path parameter must be required`);
      for (const requirement of operation.security ?? []) {
        for (const scheme of Object.keys(requirement)) if (!schemes.has(scheme)) problems.push(`${where}: unknown security scheme ${scheme}`);
      }
    }
  }
  for (const ref of refsIn(document)) if (resolve(document, ref) === undefined) problems.push(`$ref ${ref} leads nowhere`);
  return problems;
}

function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' && typeof value === 'string' ? [value] : refsIn(value)));
}

function resolve(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), document);
}
