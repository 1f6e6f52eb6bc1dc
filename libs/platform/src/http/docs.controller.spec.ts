import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { AuthGuard, Roles } from '../auth/auth.guard';
import { signToken } from '../auth/jwt';
import { SERVICE_CONFIG } from '../platform.tokens';
import { docsController } from './docs.controller';
import { openApiDocument } from './openapi';

const SECRET = 'a-secret-of-at-least-16-chars';

@Controller('v1/things')
class ThingsController {
  @Get()
  @Roles('auditor')
  list() {
    return { things: [] };
  }
}

const DOCUMENT = openApiDocument({
  service: 'things',
  description: 'Things.',
  operations: [{ id: 'listThings', method: 'get', path: '/v1/things', summary: 'Every thing.', access: ['auditor'], success: { status: 200, description: 'the things' } }],
});

@Module({
  controllers: [ThingsController, docsController(DOCUMENT)],
  providers: [{ provide: SERVICE_CONFIG, useValue: { JWT_SECRET: SECRET } }, { provide: APP_GUARD, useClass: AuthGuard }],
})
class ThingsModule {}

describe('docsController', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await NestFactory.create(ThingsModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it('serves the OpenAPI document without a token', async () => {
    const response = await fetch(`${base}/docs/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(DOCUMENT)));
  });

  it('serves the page without a token, as HTML', async () => {
    const response = await fetch(`${base}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('<code>GET /v1/things</code>');
  });

  it('leaves every other route behind the token', async () => {
    expect((await fetch(`${base}/v1/things`)).status).toBe(401);
    const token = signToken(SECRET, { sub: 'a-1', role: 'auditor' });
    expect((await fetch(`${base}/v1/things`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});
