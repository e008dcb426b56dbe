import { createServer } from 'node:http';
import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config/load-config.ts';
import { createLogger } from './logger.ts';
import { createSignInMailDelivery } from './mail/deliver-sign-in-mail.ts';
import { createDevOutbox } from './mail/dev-outbox.ts';
import { createInProcessMailQueue } from './mail/mail-queue.ts';
import { createSmtpMailer } from './mail/mailer.ts';
import { createStore } from './store/create-store.ts';

// The only entry point: loadConfig → createStore → mail → createApp → listen. SIGTERM closes all.
async function main() {
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

  const store = await createStore(config, logger);
  const devOutbox = config.mail.smtpUrl ? undefined : createDevOutbox({ log: (mail) => logger.info({ to: mail.to, subject: mail.subject, text: mail.text }, 'dev outbox: mail') });
  const mailer = devOutbox ?? createSmtpMailer({ smtpUrl: config.mail.smtpUrl!, from: config.mail.from });
  const mailQueue = createInProcessMailQueue({
    deliver: createSignInMailDelivery({ config, store, mailer }),
    onError: (error, _job, attempt, final) => logger[final ? 'error' : 'warn']({ err: (error as Error).message, attempt }, final ? 'sign-in mail failed for good' : 'sign-in mail failed, will retry'),
  });

  const { handler } = createApp({ config, store, mailQueue, logger, devOutbox });
  const server = createServer(handler);
  server.listen(config.port, () => {
    logger.info({ issuer: config.issuer, port: config.port }, `Sesame is listening: ${config.issuer}${config.devTools ? ` (try ${config.issuer}/demo)` : ''}`);
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.once('close', () => resolve()));
    await mailQueue.close();
    await mailer.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`Sesame failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
