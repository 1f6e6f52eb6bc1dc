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

export function securityHeaders(_request: Request, response: Response, next: NextFunction): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  next();
}
