import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { composeMimeMessage, encodeQuotedPrintable, parseMailbox } from '../../src/mail/mime-message.ts';

// Every message is read back by mailparser, a full MIME parser: what a mail client sees.
const from = parseMailbox('Sesame <no-reply@id.example.com>');
const message = { to: 'alice@example.com', subject: 'Sign in to Demo App', text: 'Hello\nline two\n', html: '<p style="margin:0">Hello</p>' };

describe('composeMimeMessage', () => {
  it('makes a multipart/alternative message whose headers and parts a MIME parser reads back', async () => {
    const raw = composeMimeMessage(from, message, new Date('2026-11-30T10:00:00Z'));
    const parsed = await simpleParser(raw);
    expect(parsed.from?.value).toEqual([{ name: 'Sesame', address: 'no-reply@id.example.com' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : undefined).toEqual([{ name: '', address: 'alice@example.com' }]);
    expect(parsed.subject).toBe('Sign in to Demo App');
    expect(parsed.date?.toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(parsed.messageId).toMatch(/^<[0-9a-f-]{36}@id\.example\.com>$/);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.text).toBe('Hello\nline two\n');
    expect(parsed.html).toBe('<p style="margin:0">Hello</p>');
  });

  it('keeps every line within 78 characters, uses CRLF only and is pure ASCII', () => {
    const raw = composeMimeMessage(from, { ...message, subject: `Sign in to ${'Ünïcödé '.repeat(12)}`, html: `<p>${'x'.repeat(500)} ${'é'.repeat(100)}</p>` });
    expect(raw).toMatch(/^[\x00-\x7f]*$/);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('encodes non-ASCII subjects and display names, and quotes names with specials', async () => {
    const raw = composeMimeMessage(parseMailbox('"Sésame, Inc." <no-reply@example.com>'), { ...message, subject: 'Anmelden bei Müller & Söhne — 日本語のアプリ'.repeat(3) });
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('Anmelden bei Müller & Söhne — 日本語のアプリ'.repeat(3));
    expect(parsed.from?.value).toEqual([{ name: 'Sésame, Inc.', address: 'no-reply@example.com' }]);
    const quoted = await simpleParser(composeMimeMessage(parseMailbox('Acme (Login) <a@example.com>'), message));
    expect(quoted.from?.value).toEqual([{ name: 'Acme (Login)', address: 'a@example.com' }]);
  });

  it('cannot be made to add a header through the subject', async () => {
    const parsed = await simpleParser(composeMimeMessage(from, { ...message, subject: 'Hi\r\nBcc: eve@example.com' }));
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.subject).toBe('Hi Bcc: eve@example.com');
  });

  it('round-trips any text through quoted-printable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 400 }), async (text) => {
        const parsed = await simpleParser(composeMimeMessage(from, { ...message, text: `${text}\n` }));
        expect(parsed.text).toBe(`${text.replace(/\r\n?/g, '\n')}\n`);
      }),
      { numRuns: 200 },
    );
  });
});

describe('encodeQuotedPrintable', () => {
  it('escapes "=", trailing white space and non-ASCII, and breaks long lines softly without splitting an escape', () => {
    expect(encodeQuotedPrintable('a=b')).toBe('a=3Db');
    expect(encodeQuotedPrintable('end \nnext\t')).toBe('end=20\r\nnext=09');
    expect(encodeQuotedPrintable('é')).toBe('=C3=A9');
    const long = encodeQuotedPrintable(`${'a'.repeat(74)}é`);
    expect(long).toBe(`${'a'.repeat(74)}=\r\n=C3=A9`);
  });

  it('leaves plain lines of up to 76 characters as they are, and breaks longer ones', () => {
    expect(encodeQuotedPrintable(`${'a'.repeat(76)}\n\nb c`)).toBe(`${'a'.repeat(76)}\r\n\r\nb c`);
    expect(encodeQuotedPrintable('a'.repeat(77))).toBe(`${'a'.repeat(75)}=\r\naa`);
    expect(encodeQuotedPrintable(`${'a'.repeat(75)} `)).toBe(`${'a'.repeat(75)}=\r\n=20`);
  });

  it('round-trips any printable ASCII with spaces, tabs and "=" (the lines most mail is made of)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\t\x20-\x7e\n]{0,300}$/), async (text) => {
        const parsed = await simpleParser(composeMimeMessage(from, { ...message, text: `${text}\n` }));
        expect(parsed.text).toBe(`${text}\n`);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips any text, with lines of at most 76 characters (names, accents and emoji in a mail)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 200 }), async (text) => {
        const encoded = encodeQuotedPrintable(text);
        for (const line of encoded.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
        expect(encoded).toMatch(/^[\t\r\n\x20-\x7e]*$/);
        const parsed = await simpleParser(composeMimeMessage(from, { ...message, text: `${text}\n` }));
        expect(parsed.text).toBe(`${text}\n`.replace(/\r\n?/g, '\n'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseMailbox', () => {
  it('reads "Name <address>", a bare address and an address literal, and refuses anything else', () => {
    expect(parseMailbox('no-reply@example.com')).toEqual({ name: '', address: 'no-reply@example.com' });
    expect(parseMailbox('Sesame <no-reply@[::1]>')).toEqual({ name: 'Sesame', address: 'no-reply@[::1]' });
    for (const bad of ['nobody', 'Sesame <>', 'a@b.c, eve@example.com', 'Sesame <a@b.c>\r\nBcc: e@x.y']) {
      expect(() => parseMailbox(bad)).toThrow(TypeError);
    }
  });
});
