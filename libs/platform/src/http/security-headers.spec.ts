import type { Request, Response } from 'express';
import { PAGES_CONTENT_SECURITY_POLICY, SECURITY_HEADERS, securityHeaders } from './security-headers';

function headersFor(path: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = { setHeader: (name: string, value: string) => (headers[name] = value) } as unknown as Response;
  const next = jest.fn();
  securityHeaders({ path } as Request, response, next);
  expect(next).toHaveBeenCalledTimes(1);
  return headers;
}

describe('security headers', () => {
  it('sends the strict policy on the API', () => {
    expect(headersFor('/v1/log/verify')).toEqual(SECURITY_HEADERS);
    expect(headersFor('/application')['content-security-policy']).toBe(SECURITY_HEADERS['content-security-policy']);
  });

  it('lets only the pages under /app/ load their own files, and nothing inline or from elsewhere', () => {
    const headers = headersFor('/app/worker');
    expect(headers).toEqual({ ...SECURITY_HEADERS, 'content-security-policy': PAGES_CONTENT_SECURITY_POLICY });
    expect(PAGES_CONTENT_SECURITY_POLICY).toMatch(/^default-src 'self';/);
    expect(PAGES_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*|data:/);
    expect(PAGES_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });
});
