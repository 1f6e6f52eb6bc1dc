import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the server received. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the server answers a request with. */
export interface CannedAnswer {
  readonly status: number;
  readonly body?: unknown;
  /** Waits this long before answering, to try timeouts. */
  readonly delayMs?: number;
}

/**
 * A local HTTP server standing in for one of our own services in the command line's specs: it
 * records each request and answers as told.
 */
export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly delayed = new Set<NodeJS.Timeout>();

  private constructor(answer: (request: RecordedRequest) => CannedAnswer) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(request);
        const { status, body, delayMs = 0 } = answer(request);
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          if (res.destroyed) return;
          res.writeHead(status, typeof body === 'string' ? { 'content-type': 'text/plain' } : { 'content-type': 'application/json' });
          res.end(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
        }, delayMs);
        this.delayed.add(timer);
      });
    });
  }

  static async start(answer: (request: RecordedRequest) => CannedAnswer): Promise<RecordingServer> {
    const server = new RecordingServer(answer);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A URL where nothing listens: a port a server held a moment ago. */
export async function closedPortUrl(): Promise<string> {
  const server = await RecordingServer.start(() => ({ status: 200 }));
  const url = server.url;
  await server.stop();
  return url;
}

/** An Io that keeps what a command printed, for the specs. */
export function capturedIo(): { io: { out(line: string): void; err(line: string): void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, out, err };
}
