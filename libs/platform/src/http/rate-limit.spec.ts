import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { signToken } from '../auth/jwt';
import { rateLimiter } from './rate-limit';

const SECRET = 'a-secret-of-at-least-16-chars';

describe('rateLimiter', () => {
  let server: Server;
  let base: string;
  let clock = 0;

  beforeAll(async () => {
    const app = express();
    app.use(rateLimiter({ perSecond: 2, burst: 3, jwtSecret: SECRET, maxClients: 3, now: () => clock }));
    app.get(['/x', '/health', '/metrics'], (_req, res) => res.json({ ok: true }));
    await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (path: string, token?: string) => fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const statuses = async (n: number, token?: string) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await get('/x', token)).status);
    return out;
  };

  it('lets a burst through, refuses the rest with 429 and Retry-After, and refills at the rate', async () => {
    clock = 1_000;
    const a = signToken(SECRET, { sub: 'client-a', role: 'platform' });
    expect(await statuses(4, a)).toEqual([200, 200, 200, 429]);
    const refused = await get('/x', a);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ statusCode: 429, message: expect.stringContaining('2 requests per second') });
    clock += 1_000; // two tokens back
    expect(await statuses(3, a)).toEqual([200, 200, 429]);
  });

  it('keeps clients apart by verified subject, and by address when the token does not verify', async () => {
    clock = 10_000;
    const b = signToken(SECRET, { sub: 'client-b', role: 'worker' });
    const c = signToken(SECRET, { sub: 'client-c', role: 'worker' });
    expect(await statuses(4, b)).toEqual([200, 200, 200, 429]);
    expect(await statuses(1, c)).toEqual([200]);
    // Forged subjects all count as the one address they come from.
    const forged = (sub: string) => signToken('another-secret-16-chars', { sub, role: 'platform' });
    expect([...(await statuses(2, forged('f1'))), ...(await statuses(2, forged('f2')))]).toEqual([200, 200, 200, 429]);
  });

  it('never limits /health and /metrics', async () => {
    clock = 20_000;
    for (let i = 0; i < 10; i++) expect((await get(i % 2 ? '/health' : '/metrics')).status).toBe(200);
  });

  it('forgets the longest-idle clients beyond its cap instead of growing without bound', async () => {
    clock = 30_000;
    const token = (sub: string) => signToken(SECRET, { sub, role: 'auditor' });
    expect(await statuses(4, token('d1'))).toEqual([200, 200, 200, 429]);
    for (const sub of ['d2', 'd3', 'd4']) await statuses(1, token(sub)); // d1 is now the longest idle of more than 3
    expect(await statuses(1, token('d1'))).toEqual([200]); // forgotten, so full again
  });
});
