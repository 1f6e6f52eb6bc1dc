import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const ROLES = ['platform', 'worker', 'auditor', 'reviewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: a worker's subject is its workerId. */
export const Principal = z.object({
  sub: z.string().min(1).max(128),
  role: z.enum(ROLES),
  exp: z.number().int(),
  iat: z.number().int().optional(),
});
export type Principal = z.infer<typeof Principal>;

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** Signs an HS256 JWT for `sub` with `role`, valid for `ttlSeconds`. */
export function signToken(secret: string, claims: { sub: string; role: Role }, ttlSeconds = 3_600, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  const payload = b64url(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds }));
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/** Verifies signature, algorithm, expiry and claims; never throws. */
export function verifyToken(secret: string, token: string, nowMs = Date.now()): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed token' };
  const [header, payload, signature] = parts;
  let alg: unknown;
  try {
    alg = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).alg;
  } catch {
    return { ok: false, reason: 'malformed token header' };
  }
  if (alg !== 'HS256') return { ok: false, reason: 'unsupported algorithm' };
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed token payload' };
  }
  const parsed = Principal.safeParse(claims);
  if (!parsed.success) return { ok: false, reason: 'token claims are invalid' };
  if (parsed.data.exp * 1000 <= nowMs) return { ok: false, reason: 'token expired' };
  return { ok: true, principal: parsed.data };
}
