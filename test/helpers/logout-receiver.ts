import { afterAll } from '@jest/globals';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST an app's back-channel endpoint received. */
export interface LogoutNotice {
  path: string;
  contentType: string | undefined;
  logoutToken: string | null;
}

/**
 * The apps' back-channel logout endpoints, as one loopback server (a private address, as an app
 * beside Sesame in a compose network would be), started at module level and closed after the
 * file's tests. Each path answers 200 unless told otherwise: `answers` for every call, `failFirst`
 * for the next few calls only. While `hold` is set, answers wait for it.
 */
export async function startLogoutReceiver() {
  const notices: LogoutNotice[] = [];
  const answers = new Map<string, number>();
  const failFirst = new Map<string, { times: number; status: number }>();
  const state: { hold: Promise<void> | undefined } = { hold: undefined };
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', async () => {
      const path = request.url ?? '';
      notices.push({ path, contentType: request.headers['content-type'], logoutToken: new URLSearchParams(body).get('logout_token') });
      await state.hold;
      const failing = failFirst.get(path);
      if (failing && failing.times > 0) {
        failing.times--;
        response.statusCode = failing.status;
      } else {
        response.statusCode = answers.get(path) ?? 200;
      }
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(async () => {
    // Sesame's calls keep their connections alive: close them, or the server would wait for them.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    notices,
    answers,
    failFirst,
    /** The notices one path received. */
    noticesFor: (path: string) => notices.filter((notice) => notice.path === path),
    /** Holds every answer until the returned function is called. */
    hold(): () => void {
      let release = () => {};
      state.hold = new Promise((resolve) => (release = resolve));
      return () => {
        state.hold = undefined;
        release();
      };
    },
  };
}
