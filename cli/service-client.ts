import { CommandError, Interrupted } from './cli-errors';
import { SERVICES, type ServiceName } from './global-options';

/** One HTTP call to a Clearwork service. */
export interface ServiceCall {
  readonly service: ServiceName;
  readonly baseUrl: string;
  readonly method: 'GET' | 'POST';
  /** Path and query, each id already encoded: `/v1/tasks/t-1`. */
  readonly path: string;
  readonly token?: string;
  readonly body?: unknown;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A 2xx answer: its status and its body, parsed when it is JSON. */
export interface ServiceAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Calls a service and returns its 2xx answer. Anything else becomes a CommandError that says
 * what went wrong and what to do next: start the service, fix the secret, check an id.
 */
export async function callService<T = unknown>(call: ServiceCall): Promise<ServiceAnswer<T>> {
  const { service, baseUrl, method, path } = call;
  const where = `${SERVICES[service].label} at ${baseUrl}`;
  const timeoutMs = call.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signals = [AbortSignal.timeout(timeoutMs), ...(call.signal ? [call.signal] : [])];
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(call.token ? { authorization: `Bearer ${call.token}` } : {}),
        ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: call.body !== undefined ? JSON.stringify(call.body) : undefined,
      signal: AbortSignal.any(signals),
    });
  } catch (error) {
    throw failure(error, call, where, timeoutMs);
  }
  const text = await response.text();
  const body = parseBody(text);
  if (response.ok) return { status: response.status, body: body as T };
  throw new CommandError(`${where} refused ${method} ${path}: ${response.status} ${messageOf(body, text, response.statusText)}\n${hintFor(response.status, service)}`);
}

function failure(error: unknown, call: ServiceCall, where: string, timeoutMs: number): CommandError {
  const name = (error as Error | undefined)?.name;
  if (call.signal?.aborted) return new Interrupted(`no answer yet from ${where}`);
  if (name === 'TimeoutError') {
    return new CommandError(`${where} did not answer ${call.method} ${call.path} within ${timeoutMs < 1_000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1_000)} s`}: is it overloaded or stuck? check its log (npm start prints where it is), then try again`);
  }
  const code = causeCode(error);
  if (code === null || UNREACHABLE.has(code)) {
    const option = SERVICES[call.service].option;
    return new CommandError(`cannot reach ${where}${code ? ` (${code})` : ''}: is it running? start it with npm start, or point --${option} at it`);
  }
  return new CommandError(`cannot call ${where}: ${(error as Error).message} (${code})`);
}

/** The error code of a failed fetch, found on the error or its causes; null when there is none. */
function causeCode(error: unknown): string | null {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return null;
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The service's own words: Nest error bodies carry them in `message` (a string or a list). */
function messageOf(body: unknown, text: string, statusText: string): string {
  if (body && typeof body === 'object' && 'message' in body) {
    const message = (body as { message: unknown }).message;
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.join('; ');
  }
  return text.trim().slice(0, 500) || statusText;
}

function hintFor(status: number, service: ServiceName): string {
  if (status === 400) return 'the request was refused as invalid: correct what the message names and try again';
  if (status === 401) return 'the token was refused: set JWT_SECRET to the secret the services were started with (unset for the development secret)';
  if (status === 403) return 'the token\'s role may not do this (a worker may read only its own records)';
  if (status === 404) return 'nothing found: check the ids (the engine may not have consumed the events yet; try again in a moment)';
  if (status === 429) return 'too many requests from this client: wait a second and try again';
  if (status >= 500) return `${SERVICES[service].label} failed: its log says why (its /health tells whether PostgreSQL, Redis and Kafka are up)`;
  return 'see the message above';
}
