import { signToken, verifyToken } from './jwt';

describe('bearer tokens', () => {
  const secret = 'a-test-secret-of-reasonable-length';

  it('verifies a token it signed and returns the principal', () => {
    const result = verifyToken(secret, signToken(secret, { sub: 'w-1', role: 'worker' }));
    expect(result).toMatchObject({ ok: true, principal: { sub: 'w-1', role: 'worker' } });
  });

  it.each([
    ['a wrong signature', () => signToken('another-secret-entirely!!', { sub: 'w', role: 'platform' }), 'bad signature'],
    ['an expired token', () => signToken(secret, { sub: 'w', role: 'platform' }, 60, Date.now() - 3_600_000), 'token expired'],
    ['garbage', () => 'not.a.token', 'malformed token header'],
    ['two parts', () => 'a.b', 'malformed token'],
    ['alg none', () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`, 'unsupported algorithm'],
  ])('refuses %s', (_label, make, reason) => {
    expect(verifyToken(secret, make())).toEqual({ ok: false, reason });
  });

  it('refuses an unknown role even when signed', () => {
    const forged = signToken(secret, { sub: 'w', role: 'admin' as never });
    expect(verifyToken(secret, forged)).toEqual({ ok: false, reason: 'token claims are invalid' });
  });
});
