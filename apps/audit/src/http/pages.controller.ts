import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { parseRequest, Public } from '@clearwork/platform';
import type { Response } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** The files the pages load, by name. Nothing else under `pages/` is served. */
const ASSETS = ['page-kit.js', 'worker.js', 'auditor.js', 'pages.css'] as const;
const CONTENT_TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

export const AssetParams = z.object({ name: z.enum(ASSETS) });

/** Where the page files are: beside this folder in the sources, copied beside it in `dist/` by the build. */
export const PAGES_DIR = join(__dirname, '..', 'pages');

/**
 * The worker page and the auditor console: static HTML and plain scripts that call this
 * service's JSON API with the token the user pastes (kept in sessionStorage). Public like `/docs`:
 * the pages hold no data; every call they make needs the token. Read once at start-up.
 */
@Public()
@Controller('app')
export class PagesController {
  private readonly files = new Map<string, string>(
    ['worker.html', 'auditor.html', ...ASSETS].map((name) => [name, readFileSync(join(PAGES_DIR, name), 'utf8')]),
  );

  @Get('worker')
  @Header('content-type', 'text/html; charset=utf-8')
  worker(): string {
    return this.file('worker.html');
  }

  @Get('auditor')
  @Header('content-type', 'text/html; charset=utf-8')
  auditor(): string {
    return this.file('auditor.html');
  }

  @Get('assets/:name')
  asset(@Param() params: unknown, @Res() res: Response): void {
    const { name } = parseRequest(AssetParams, params, 'path');
    res.setHeader('content-type', CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)]);
    res.send(this.file(name));
  }

  private file(name: string): string {
    const text = this.files.get(name);
    if (text === undefined) throw new NotFoundException(`no page file ${name}`);
    return text;
  }
}
