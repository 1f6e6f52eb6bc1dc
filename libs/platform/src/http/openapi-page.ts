import type { HttpMethod, JsonSchema, OpenApiDocument, OpenApiOperation } from './openapi';

/**
 * The document as a plain HTML page for people: every operation with who may call it, what it
 * takes and what it answers. No script, style or external asset, so it renders under the
 * services' `default-src 'none'` content security policy.
 */
export function openApiPage(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    (Object.entries(methods) as [HttpMethod, OpenApiOperation][]).map(([method, operation]) => ({ path, method, operation })),
  );
  const title = escapeHtml(document.info.title);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title>`,
    '</head>',
    '<body>',
    `<h1>${title}</h1>`,
    `<p>${escapeHtml(document.info.description)}</p>`,
    '<p>The same description for programs: <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI 3.1).</p>',
    '<ul>',
    ...operations.map(({ path, method, operation }) => `<li><a href="#${escapeHtml(operation.operationId)}"><code>${method.toUpperCase()} ${escapeHtml(path)}</code></a> ${escapeHtml(operation.summary)}</li>`),
    '</ul>',
    ...operations.flatMap(({ path, method, operation }) => operationSection(path, method, operation)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function operationSection(path: string, method: HttpMethod, operation: OpenApiOperation): string[] {
  const parameters = (operation.parameters ?? []).map(
    (p) => `<li><code>${escapeHtml(p.name)}</code> (${p.in}${p.required ? ', required' : ''}): ${escapeHtml(describeSchema(p.schema))}</li>`,
  );
  const body = operation.requestBody?.content['application/json'].schema;
  const fields = Object.entries((body?.properties ?? {}) as Record<string, JsonSchema>).map(
    ([name, schema]) => `<li><code>${escapeHtml(name)}</code>${((body?.required ?? []) as string[]).includes(name) ? ' (required)' : ''}: ${escapeHtml(describeSchema(schema))}</li>`,
  );
  const responses = Object.entries(operation.responses).map(([status, r]) => `<li>${escapeHtml(status)}: ${escapeHtml(r.description)}</li>`);
  return [
    `<section id="${escapeHtml(operation.operationId)}">`,
    `<h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2>`,
    `<p>${escapeHtml(operation.summary)}</p>`,
    ...operation.description.split('\n\n').map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    ...(parameters.length > 0 ? ['<h3>Parameters</h3>', '<ul>', ...parameters, '</ul>'] : []),
    ...(body ? ['<h3>Body (JSON)</h3>', '<ul>', ...fields, '</ul>'] : []),
    '<h3>Responses</h3>',
    '<ul>',
    ...responses,
    '</ul>',
    '</section>',
  ];
}

/** A short reading of a JSON Schema: its type, allowed values and bounds. */
function describeSchema(schema: JsonSchema): string {
  const parts: string[] = [];
  if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  else if (Array.isArray(schema.anyOf)) parts.push((schema.anyOf as JsonSchema[]).map(describeSchema).join(' or '));
  else if (schema.type === 'array') parts.push(`array of ${describeSchema((schema.items ?? {}) as JsonSchema)}`);
  else parts.push(typeof schema.type === 'string' ? schema.type : 'any JSON value');
  if (typeof schema.format === 'string') parts.push(`format ${schema.format}`);
  const bounds: [string, string][] = [['minimum', '≥'], ['maximum', '≤'], ['minLength', 'length ≥'], ['maxLength', 'length ≤'], ['maxItems', 'items ≤']];
  for (const [key, sign] of bounds) if (typeof schema[key] === 'number' && schema[key] !== Number.MAX_SAFE_INTEGER) parts.push(`${sign} ${schema[key]}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  if (typeof schema.description === 'string') parts.push(schema.description);
  return parts.join(', ');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
