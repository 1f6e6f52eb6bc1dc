import { DEV_JWT_SECRET } from '../config/load-config';
import { verifyToken } from './jwt';
import { localJwtSecret, mintLocalToken } from './local-token';

describe('local tokens', () => {
  const secret = 'a-test-secret-of-reasonable-length';
  const now = Date.UTC(2026, 10, 22, 10);

  it('signs a worker token whose subject is the workerId, valid for twelve hours by default', () => {
    const minted = mintLocalToken({ role: 'worker', subject: 'w-1', secret, nowMs: now });
    expect(minted).toMatchObject({ ok: true, role: 'worker', subject: 'w-1' });
    const verified = minted.ok ? verifyToken(secret, minted.token, now) : null;
    expect(verified).toMatchObject({ ok: true, principal: { sub: 'w-1', role: 'worker', exp: now / 1000 + 12 * 3600 } });
  });

  it('names other roles <role>-local and takes a lifetime', () => {
    const minted = mintLocalToken({ role: 'auditor', ttlSeconds: 60, secret, nowMs: now });
    expect(minted.ok && verifyToken(secret, minted.token, now)).toMatchObject({ ok: true, principal: { sub: 'auditor-local', exp: now / 1000 + 60 } });
  });

  it.each([
    ['an unknown role', { role: 'admin' }, 'unknown role "admin": use one of platform, worker, auditor, reviewer'],
    ['a worker without a subject', { role: 'worker' }, 'a worker token needs the workerId as its subject'],
    ['an empty subject', { role: 'platform', subject: '' }, 'the subject must be 1 to 128 characters'],
    ['a lifetime that is not a whole number', { role: 'platform', ttlSeconds: Number('soon') }, 'the lifetime must be a whole number of seconds of at least 1, not NaN'],
    ['a lifetime of zero', { role: 'platform', ttlSeconds: 0 }, 'the lifetime must be a whole number of seconds of at least 1, not 0'],
  ])('refuses %s', (_label, request, problem) => {
    expect(mintLocalToken({ ...request, secret })).toEqual({ ok: false, problem });
  });

  it('signs with JWT_SECRET, else the development secret', () => {
    expect(localJwtSecret({ JWT_SECRET: secret })).toBe(secret);
    expect(localJwtSecret({})).toBe(DEV_JWT_SECRET);
  });
});
