import { Controller, Get, Header, type Type } from '@nestjs/common';
import { Public } from '../auth/auth.guard';
import type { OpenApiDocument } from './openapi';
import { openApiPage } from './openapi-page';

/**
 * A controller serving `document` at `GET /docs/openapi.json` and as a plain page at `GET /docs`,
 * without a token like `/health` and `/metrics`. Each service mounts one with its own document.
 */
export function docsController(document: OpenApiDocument): Type<unknown> {
  const page = openApiPage(document);

  @Public()
  @Controller('docs')
  class DocsController {
    @Get()
    @Header('content-type', 'text/html; charset=utf-8')
    page(): string {
      return page;
    }

    @Get('openapi.json')
    openApi(): OpenApiDocument {
      return document;
    }
  }
  return DocsController;
}
