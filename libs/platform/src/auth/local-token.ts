import { DEV_JWT_SECRET } from '../config/load-config';
import { Principal, ROLES, signToken, type Role } from './jwt';

/** How long a locally minted token lasts unless asked otherwise: a working day. */
export const LOCAL_TOKEN_TTL_SECONDS = 12 * 3600;

/** What a local token is asked for, as typed on a command line: the role is not trusted yet. */
export interface LocalTokenRequest {
  readonly role: string;
  /** A worker's subject is its workerId; other roles default to `<role>-local`. */
  readonly subject?: string;
  readonly ttlSeconds?: number;
  readonly secret: string;
  readonly nowMs?: number;
}

export type LocalTokenResult = { ok: true; token: string; role: Role; subject: string } | { ok: false; problem: string };

/** The secret local tokens are signed with: JWT_SECRET, else the one development services use. */
export function localJwtSecret(env: NodeJS.ProcessEnv = process.env): string {
  return env.JWT_SECRET ?? DEV_JWT_SECRET;
}

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** Signs a bearer token for local use, refusing a request the services would refuse anyway. */
export function mintLocalToken(request: LocalTokenRequest): LocalTokenResult {
  const { role, subject, ttlSeconds = LOCAL_TOKEN_TTL_SECONDS } = request;
  if (!isRole(role)) return { ok: false, problem: `unknown role ${JSON.stringify(role)}: use one of ${ROLES.join(', ')}` };
  if (role === 'worker' && !subject) return { ok: false, problem: 'a worker token needs the workerId as its subject' };
  if (subject !== undefined && !Principal.shape.sub.safeParse(subject).success) return { ok: false, problem: 'the subject must be 1 to 128 characters' };
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) return { ok: false, problem: `the lifetime must be a whole number of seconds of at least 1, not ${ttlSeconds}` };
  const sub = subject ?? `${role}-local`;
  return { ok: true, role, subject: sub, token: signToken(request.secret, { sub, role }, ttlSeconds, request.nowMs) };
}
