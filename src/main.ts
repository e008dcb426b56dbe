import { ConfigError, loadClients, loadConfig } from './config/load-config.ts';
import { createHttpServer } from './http/http-server.ts';
import { createLogger } from './logger.ts';
import { createSesame, type ProcessRole } from './sesame.ts';

// The only entry point: loadConfig → createSesame (store, mail, app) → listen. SIGTERM stops
// accepting, lets requests in flight finish, stops the mail worker and closes Redis.
// `node src/main.ts worker` (npm run worker) runs only the mail worker.
async function main(role: ProcessRole) {
  // SIGHUP reloads the clients file, as nginx reloads its configuration (README "Connect a relying
  // party"). Listened for from the first moment, since Node's default for it ends the process: one
  // that arrives while Sesame starts is served by a reload once it runs (the file may have changed
  // after start-up read it).
  let reloadClients: (() => void) | undefined;
  let signalledWhileStarting = false;
  process.on('SIGHUP', () => {
    if (reloadClients) reloadClients();
    else signalledWhileStarting = true;
  });
  const fallbacks: string[] = [];
  let config;
  try {
    config = loadConfig({ env: process.env, onFallback: (message) => fallbacks.push(message) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  for (const message of fallbacks) logger.warn(`development fallback: ${message}`);
  if (role === 'web' && config.nodeEnv === 'production' && !config.metrics.token) logger.warn('/metrics is off: set METRICS_TOKEN to scrape it');

  const sesame = await createSesame({ config, logger, role, readClients: () => loadClients({ env: process.env, config }) });
  const server = createHttpServer();
  server.on('request', sesame.handler);
  server.on('clientError', sesame.answerClientError);
  // Only listening can fail here (the port taken, or not ours to open): say which, close what
  // createSesame opened, and exit, rather than die on an unhandled 'error' with a stack trace.
  server.once('error', async (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs privileges this process does not have' : `cannot be opened (${error.message})`;
    logger.error({ port: config.port, code: error.code }, `cannot listen: port ${config.port} ${why}. Set PORT to a free port.`);
    await sesame.close();
    process.exit(1);
  });
  server.listen(config.port, () => {
    const what = role === 'worker' ? 'Sesame mail worker is running' : `Sesame is listening: ${config.issuer}${config.devTools ? ` (try ${config.issuer}/demo)` : ''}`;
    logger.info({ issuer: config.issuer, port: config.port, role, mailWorker: role === 'worker' || config.mailQueue.worker === 'on' }, what);
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    sesame.readiness.markShuttingDown();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections with no request in flight would hold close() open until their idle
    // timeout: drop them now, and each one that finishes its last request from now on.
    server.closeIdleConnections();
    const dropIdle = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => {
      logger.warn({ graceSeconds: config.shutdownGraceSeconds }, 'shutdown: requests still in flight after the grace period, closing their connections');
      server.closeAllConnections();
    }, config.shutdownGraceSeconds * 1000);
    deadline.unref();
    await closed;
    clearTimeout(deadline);
    clearInterval(dropIdle);
    await sesame.close();
    logger.info('shut down');
    process.exit(0);
  };
  reloadClients = () => {
    if (!closing) void sesame.reloadClients();
  };
  if (signalledWhileStarting) reloadClients();
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

const role: ProcessRole = process.argv[2] === 'worker' ? 'worker' : 'web';
if (process.argv[2] !== undefined && process.argv[2] !== 'worker') {
  process.stderr.write(`Unknown role "${process.argv[2]}". Usage: node src/main.ts [worker]\n`);
  process.exit(2);
}
main(role).catch((error) => {
  process.stderr.write(`Sesame failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
