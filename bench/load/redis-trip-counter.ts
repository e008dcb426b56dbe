import { createConnection, createServer, type Server } from 'node:net';

/**
 * A TCP proxy in front of Redis that counts round trips: each time a client sends after it has
 * received a reply (or for the first time), that is one trip. A pipeline or MULTI block written
 * in one go is one trip, however many commands it holds, which is what the target counts.
 */
export interface TripCounter {
  port: number;
  trips(): number;
  /** The start of each trip's first write, for reading where trips come from (bench:trace). */
  log: string[];
  close(): Promise<void>;
}

export async function startTripCounter(upstreamPort: number): Promise<TripCounter> {
  let trips = 0;
  const log: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let awaitingReply = false;
    client.on('data', (chunk) => {
      if (!awaitingReply) {
        trips++;
        log.push(chunk.toString('latin1', 0, 120).replace(/\r\n/g, ' '));
      }
      awaitingReply = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      awaitingReply = false;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    trips: () => trips,
    log,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
