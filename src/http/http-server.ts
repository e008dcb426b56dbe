import { createServer, type Server } from 'node:http';

export interface ServerTimeouts {
  /** From the connection's first byte to the end of its headers. */
  headersTimeoutMs: number;
  /** From the first byte to the end of the whole request, body included. */
  requestTimeoutMs: number;
}

/**
 * Node's defaults let one request hold its connection and its handler for 60 s of headers and
 * 300 s in all, checked every 30 s: a client that sends `Content-Length: 100` and ten bytes keeps a
 * sign-in form's handler waiting five minutes, and a few thousand such clients hold as many
 * sockets. Nothing Sesame takes is larger than a form of a few kilobytes, so a request that has not
 * arrived after these is not going to: the parser then refuses it (408, client-errors.ts).
 */
export const SERVER_TIMEOUTS: ServerTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 20_000 };

/** The HTTP server every Sesame process listens with (src/main.ts; the tests' start-sesame too). */
export function createHttpServer({ headersTimeoutMs, requestTimeoutMs }: ServerTimeouts = SERVER_TIMEOUTS): Server {
  return createServer({
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    // How often Node looks for requests past those limits (30 s by default, longer than they are).
    connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeoutMs / 2)),
  });
}
