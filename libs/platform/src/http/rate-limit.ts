import type { NextFunction, Request, Response } from 'express';
import { verifyToken } from '../auth/jwt';

export interface RateLimitOptions {
  /** Requests a client may make per second, sustained. */
  readonly perSecond: number;
  /** Requests a client may make at once after being idle (the bucket's size). */
  readonly burst: number;
  /** Verifies bearer tokens, so a client cannot dodge its limit by inventing subjects. */
  readonly jwtSecret: string;
  /** Most clients tracked at once; beyond it the longest-idle are forgotten (they start again full). */
  readonly maxClients?: number;
  readonly now?: () => number;
}

/** Paths that are never limited: liveness and scraping must work while clients are refused. */
const EXEMPT = new Set(['/health', '/metrics']);

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Per-client token bucket for HTTP requests. A client is the verified subject and role of its
 * bearer token, or its address when it has no valid token. Refused requests get 429 with
 * `Retry-After`. The buckets live in this process: each instance limits on its own, so a
 * deployment of N instances behind a balancer allows up to N times the rate.
 */
export function rateLimiter(options: RateLimitOptions): (request: Request, response: Response, next: NextFunction) => void {
  const buckets = new Map<string, Bucket>();
  const now = options.now ?? (() => performance.now());
  const maxClients = options.maxClients ?? 100_000;
  return (request, response, next) => {
    if (EXEMPT.has(request.path)) return next();
    const key = clientOf(request, options.jwtSecret);
    const at = now();
    let bucket = buckets.get(key);
    if (bucket) {
      buckets.delete(key); // re-inserted below: the map stays in order of last use
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((at - bucket.at) / 1000) * options.perSecond);
      bucket.at = at;
    } else {
      bucket = { tokens: options.burst, at };
      if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value!);
    }
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return next();
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
    response.setHeader('retry-after', String(retryAfter));
    response.status(429).json({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `more than ${options.perSecond} requests per second (bursts of ${options.burst}) from this client; retry after ${retryAfter} s`,
    });
  };
}

function clientOf(request: Request, secret: string): string {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) {
    const verified = verifyToken(secret, header.slice(7));
    if (verified.ok) return `${verified.principal.role}:${verified.principal.sub}`;
  }
  return `address:${request.socket.remoteAddress ?? 'unknown'}`;
}
