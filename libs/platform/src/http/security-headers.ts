import type { NextFunction, Request, Response } from 'express';

/**
 * Headers every response carries. The services answer JSON (and CSV exports) to programs and
 * browsers alike: nothing may be sniffed into HTML, framed, sent with a referrer or loaded by
 * another origin, and a response carrying a worker's record is never cached by an intermediary.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** Where the audit service serves its browser pages (`/app/worker`, `/app/auditor`) and their files. */
export const PAGES_PREFIX = '/app/';

/**
 * The policy for the pages under `PAGES_PREFIX`. `default-src 'none'` would stop a page from
 * loading its own script and stylesheet and from calling the API it was served by, so these
 * routes (and only these) allow the same origin. Everything else the strict policy forbids still
 * holds: no inline script or style, no other origin, no framing.
 */
export const PAGES_CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders(request: Request, response: Response, next: NextFunction): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  if (request.path.startsWith(PAGES_PREFIX)) response.setHeader('content-security-policy', PAGES_CONTENT_SECURITY_POLICY);
  next();
}
