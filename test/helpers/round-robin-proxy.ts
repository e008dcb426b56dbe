import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  backend: number;
  status: number;
}

export interface RoundRobinProxy {
  url: string;
  /** Every request, in order, with the backend that served it. */
  log: ProxiedRequest[];
  setBackends(urls: string[]): void;
  close(): Promise<void>;
}

/**
 * A load balancer in miniature: each request (not each connection) goes to the next backend in
 * turn, so consecutive steps of one sign-in land on different instances.
 */
export async function startRoundRobinProxy(): Promise<RoundRobinProxy> {
  let backends: URL[] = [];
  let next = 0;
  const log: ProxiedRequest[] = [];
  const server = createServer((incoming, outgoing) => {
    const backend = next++ % backends.length;
    const target = backends[backend]!;
    const entry: ProxiedRequest = { method: incoming.method ?? 'GET', path: (incoming.url ?? '/').split('?')[0]!, backend, status: 0 };
    log.push(entry);
    const headers: IncomingHttpHeaders = { ...incoming.headers, connection: 'close' };
    const forwarded = request({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers }, (answer) => {
      entry.status = answer.statusCode ?? 0;
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => {
      outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    setBackends(urls) {
      backends = urls.map((url) => new URL(url));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
