import { randomUUID } from 'node:crypto';
import { randomToken } from '../auth/secrets.ts';
import type { MailMessage } from './mail-message.ts';

/** A mailbox as it appears in a header: an optional display name and an ASCII address. */
export interface MailAddress {
  name: string;
  address: string;
}

// Plain dot-atom addresses only: what parseEmailAddress lets through (punycode domains), and for
// the sender an address literal too (the default From of an issuer such as http://[::1]:3000).
const ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/;
const ATEXT_PHRASE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Reads a From setting such as `Sesame <no-reply@example.com>` or `no-reply@example.com`.
 * Misuse throws: configuration validation calls this once at start-up.
 */
export function parseMailbox(value: string): MailAddress {
  const trimmed = value.trim();
  const angled = /^(.*?)\s*<([^<>]+)>$/.exec(trimmed);
  const name = angled ? angled[1]!.replace(/^"(.*)"$/, '$1').trim() : '';
  const address = angled ? angled[2]!.trim() : trimmed;
  if (!ADDRESS.test(address)) throw new TypeError(`"${value}" is not an address like "Name <no-reply@example.com>" or "no-reply@example.com"`);
  if (/[\r\n]/.test(name)) throw new TypeError('a display name cannot span lines');
  return { name, address };
}

/**
 * Composes a sign-in mail as an RFC 5322 message with a text and an HTML alternative, both UTF-8
 * in quoted-printable. Built by hand rather than by nodemailer's composer: that one is general
 * (attachments, embedded images, any encoding) and costs about a millisecond of CPU per message,
 * more than the rest of a sign-in's mail work together; this message has one fixed shape.
 */
export function composeMimeMessage(from: MailAddress, message: MailMessage, now = new Date()): string {
  if (!ADDRESS.test(message.to)) throw new TypeError('the recipient must be a plain address');
  // base64url characters are all allowed in a boundary (RFC 2046 §5.1.1 bchars).
  const boundary = `=_sesame_${randomToken(12)}`;
  const domain = from.address.slice(from.address.lastIndexOf('@') + 1);
  const headers = [
    `From: ${formatMailbox(from)}`,
    `To: ${message.to}`,
    `Subject: ${encodeHeaderText(message.subject, 'Subject: '.length)}`,
    `Date: ${now.toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: <${randomUUID()}@${domain}>`,
    // RFC 3834: mail sent by a program; vacation responders and auto-forwards leave it alone.
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) =>
    `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${encodeQuotedPrintable(body)}\r\n`;
  return `${headers.join('\r\n')}\r\n\r\n${part('text/plain', message.text)}${part('text/html', message.html)}--${boundary}--\r\n`;
}

function formatMailbox({ name, address }: MailAddress): string {
  if (name === '') return address;
  if (ATEXT_PHRASE.test(name)) return `${name} <${address}>`;
  if (PRINTABLE_ASCII.test(name)) return `"${name.replace(/["\\]/g, '\\$&')}" <${address}>`;
  return `${encodeWords(name, 'From: '.length)} <${address}>`;
}

/** Unstructured header text (RFC 5322 §2.2.3): plain ASCII as it is, anything else as encoded words. */
function encodeHeaderText(value: string, offset: number): string {
  const oneLine = value.replace(/[\r\n]+/g, ' ');
  return PRINTABLE_ASCII.test(oneLine) && offset + oneLine.length <= 78 ? oneLine : encodeWords(oneLine, offset);
}

/**
 * RFC 2047 encoded words (base64, UTF-8), each at most 75 characters and holding whole
 * characters, folded onto continuation lines so no header line passes 78 characters.
 */
function encodeWords(value: string, offset: number): string {
  const words: string[] = [];
  let chunk = '';
  // "=?utf-8?B?" + "?=" is 12 characters; 45 bytes of text make 60 of base64: 72 in all.
  for (const char of value) {
    if (Buffer.byteLength(chunk + char) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk !== '' || words.length === 0) words.push(chunk);
  const encoded = words.map((word) => `=?utf-8?B?${Buffer.from(word).toString('base64')}?=`);
  return offset + encoded[0]!.length > 78 ? `\r\n ${encoded.join('\r\n ')}` : encoded.join('\r\n ');
}

const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
const EQUALS = 0x3d;

/**
 * Quoted-printable (RFC 2045 §6.7) of UTF-8 text with CRLF line ends: lines of at most 76
 * characters, soft breaks that never split an escape, and trailing white space escaped.
 */
export function encodeQuotedPrintable(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  return lines.map(encodeLine).join('\r\n');
}

// A line QP leaves as it is: printable ASCII but "=", no white space at its end, 76 characters at most.
const PLAIN_LINE = /^(?:[\x21-\x3c\x3e-\x7e](?:[\t\x20-\x3c\x3e-\x7e]{0,74}[\x21-\x3c\x3e-\x7e])?)?$/;

function encodeLine(line: string): string {
  // Most lines of a sign-in mail are plain: no byte-by-byte pass for them.
  if (PLAIN_LINE.test(line)) return line;
  const bytes = Buffer.from(line, 'utf8');
  // Written byte by byte into one buffer: a string grown a piece at a time was the mail's
  // largest source of garbage. Each byte takes at most 3 characters, and every soft break
  // ("=" CR LF) follows at least 73 of them, so 4 per byte and one more break always fit.
  const out = Buffer.allocUnsafe(bytes.length * 4 + 3);
  let length = 0;
  let column = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const last = i === bytes.length - 1;
    const literal = (byte >= 33 && byte <= 126 && byte !== EQUALS) || ((byte === 32 || byte === 9) && !last);
    const width = literal ? 1 : 3;
    // 75 characters and a soft break "=" make the 76 allowed; the last piece of a line needs no "=".
    if (column + width > (last ? 76 : 75)) {
      out[length++] = EQUALS;
      out[length++] = 13;
      out[length++] = 10;
      column = 0;
    }
    if (literal) {
      out[length++] = byte;
    } else {
      out[length++] = EQUALS;
      out[length++] = HEX[byte >> 4]!;
      out[length++] = HEX[byte & 15]!;
    }
    column += width;
  }
  return out.toString('latin1', 0, length);
}
