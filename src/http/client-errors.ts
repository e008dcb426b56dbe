import type { Socket } from 'node:net';
import type { Logger } from '../logger.ts';

/** Renders views/error.ejs with these locals (the app's page templates). */
export type RenderErrorPage = (locals: { title: string; message: string; code: string }) => Promise<string>;

interface ClientErrorAnswer {
  status: number;
  reason: string;
  code: string;
  title: string;
  message: string;
}

// Node's HTTP parser refuses a request before any handler sees it (a request line or headers over
// its 16 KB limit, bytes that are not HTTP, headers that never finish). Left alone it answers with
// a status line and no body: a browser shows a blank page and the person has no idea that too many
// cookies on this site are the usual cause.
const HEADERS_TOO_LARGE: ClientErrorAnswer = {
  status: 431,
  reason: 'Request Header Fields Too Large',
  code: 'request_header_fields_too_large',
  title: 'Your browser sent too much',
  message: 'The address or the cookies your browser sent for this site are larger than this server accepts (16 KB). Clear this site’s cookies in your browser, then go back to the app and sign in again.',
};
const TIMED_OUT: ClientErrorAnswer = {
  status: 408,
  reason: 'Request Timeout',
  code: 'request_timeout',
  title: 'The request took too long',
  message: 'Your browser did not finish sending its request in time. Check your connection and try again.',
};
const MALFORMED: ClientErrorAnswer = {
  status: 400,
  reason: 'Bad Request',
  code: 'malformed_request',
  title: 'That request did not work',
  message: 'The request was not valid HTTP. If you typed or pasted an address, check it and try again.',
};

function answerFor(code: string | undefined): ClientErrorAnswer {
  if (code === 'HPE_HEADER_OVERFLOW') return HEADERS_TOO_LARGE;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADER_TIMEOUT') return TIMED_OUT;
  return MALFORMED;
}

// No script on these pages, so no nonce: the stylesheet and the icon are all they load.
const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The node:http `clientError` listener: answers what the parser refused with the same error page
 * as everything else, closes the connection (the parser cannot find the next request after a
 * broken one), and logs the kind of error, never the bytes received (they may hold cookies).
 */
export function createClientErrorAnswer({ renderErrorPage, logger }: { renderErrorPage: RenderErrorPage; logger: Logger }) {
  // The parser may complain again about every further chunk of a connection it already refused.
  const answered = new WeakSet<Socket>();
  // A response already on its way on this connection (pipelined requests, a streamed answer):
  // a page written now would land inside it.
  const responseUnderWay = (socket: Socket) => (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;

  return function answerClientError(error: Error & { code?: string }, socket: Socket) {
    if (answered.has(socket)) return;
    answered.add(socket);
    // A client that hung up, a socket no longer writable, or one mid-answer: only closing is safe.
    if (error.code === 'ECONNRESET' || !socket.writable || responseUnderWay(socket)) {
      socket.destroy();
      return;
    }
    const answer = answerFor(error.code);
    logger.info({ status: answer.status, parserError: error.code ?? error.name }, 'request refused before routing');
    renderErrorPage({ title: answer.title, message: answer.message, code: answer.code })
      .catch(() => `<!doctype html><title>${answer.title}</title><h1>${answer.title}</h1><p>${answer.message}</p>`)
      .then((html) => {
        if (!socket.writable || responseUnderWay(socket)) return socket.destroy();
        const body = Buffer.from(html, 'utf8');
        const head = [
          `HTTP/1.1 ${answer.status} ${answer.reason}`,
          'Content-Type: text/html; charset=utf-8',
          `Content-Length: ${body.length}`,
          'Cache-Control: no-store',
          `Content-Security-Policy: ${PAGE_CSP}`,
          'X-Content-Type-Options: nosniff',
          'X-Frame-Options: DENY',
          'Referrer-Policy: no-referrer',
          'Connection: close',
          '',
          '',
        ].join('\r\n');
        socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
      });
  };
}
