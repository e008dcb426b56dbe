import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of Redis that counts round trips: each time a client sends after it has
 * received a reply (or for the first time), that is one trip. A pipeline or MULTI block written
 * in one go is one trip, however many commands it holds, which is what the target counts.
 * Connections are told apart by the name they give themselves (CLIENT SETNAME: the store's
 * connection, the mail worker's...).
 */
export interface TripCounter {
  port: number;
  /** Trips in all, or of the connections whose name contains `nameContains`. */
  trips(nameContains?: string): number;
  /** The start of each trip's first write, for reading where trips come from (bench:trace). */
  log: string[];
  close(): Promise<void>;
}

export async function startTripCounter(upstreamPort: number): Promise<TripCounter> {
  const byConnection: { name: string; trips: number }[] = [];
  const log: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const connection = { name: 'unnamed', trips: 0 };
    byConnection.push(connection);
    let awaitingReply = false;
    client.on('data', (chunk) => {
      if (connection.name === 'unnamed') {
        const named = /setname\r\n\$\d+\r\n([^\r]+)/i.exec(chunk.toString('latin1'));
        if (named) connection.name = named[1]!;
      }
      if (!awaitingReply) {
        connection.trips++;
        log.push(`[${connection.name}] ${chunk.toString('latin1', 0, 120).replace(/\r\n/g, ' ')}`);
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
    trips: (nameContains) => byConnection.filter((c) => nameContains === undefined || c.name.includes(nameContains)).reduce((sum, c) => sum + c.trips, 0),
    log,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
