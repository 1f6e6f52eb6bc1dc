import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { openApiDocument, Public, Roles } from '@clearwork/platform';
import { z } from 'zod';
import { declaredRoutes, documentedRoutes } from './http-routes';

@Controller('v1/items')
class ItemsController {
  @Get(':itemId')
  @Roles('worker', 'auditor')
  get() {}

  @Post()
  @Roles('platform')
  post() {}

  @Post(':itemId/replay')
  @HttpCode(200)
  @Roles('auditor')
  replay() {}

  @Public()
  @Get()
  list() {}
}

@Public()
@Controller()
class OpsController {
  @Get('health')
  health() {}
}

@Controller()
class ItemsConsumer {
  @EventPattern('gig.items.v1')
  consume() {}
}

@Module({ controllers: [OpsController] })
class OpsModule {}

@Module({})
class ItemsModule {}

describe('declaredRoutes', () => {
  it('lists the routes of a module and of those it imports, with their access, and skips Kafka handlers', () => {
    const root = { module: ItemsModule, imports: [OpsModule, { module: OpsModule }], controllers: [ItemsController, ItemsConsumer] };
    expect(declaredRoutes(root)).toEqual([
      { route: 'GET /health', access: 'public', status: 200 },
      { route: 'GET /v1/items', access: 'public', status: 200 },
      { route: 'GET /v1/items/{itemId}', access: ['auditor', 'worker'], status: 200 },
      { route: 'POST /v1/items', access: ['platform'], status: 201 },
      { route: 'POST /v1/items/{itemId}/replay', access: ['auditor'], status: 200 },
    ]);
  });
});

describe('documentedRoutes', () => {
  it('reads the same form from an OpenAPI document', () => {
    const document = openApiDocument({
      service: 'items',
      description: 'Items.',
      operations: [
        { id: 'getItem', method: 'get', path: '/v1/items/{itemId}', summary: 'One.', access: ['worker', 'auditor'], params: z.object({ itemId: z.string() }), success: { status: 200, description: 'it' } },
      ],
    });
    expect(documentedRoutes(document)).toEqual([
      { route: 'GET /docs', access: 'public', status: 200 },
      { route: 'GET /docs/openapi.json', access: 'public', status: 200 },
      { route: 'GET /health', access: 'public', status: 200 },
      { route: 'GET /metrics', access: 'public', status: 200 },
      { route: 'GET /v1/items/{itemId}', access: ['auditor', 'worker'], status: 200 },
    ]);
  });
});
