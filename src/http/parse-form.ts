import type { Context } from 'koa';
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from './errors.ts';

/**
 * Reads an application/x-www-form-urlencoded body of at most `limitBytes` into single-valued
 * fields. Parsing happens per route, never globally: oidc-provider parses its own bodies.
 * A repeated field is rejected rather than guessed at (parameter pollution).
 */
export async function parseForm(ctx: Context, limitBytes: number): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    if (!ctx.request.length && !ctx.get('transfer-encoding')) return {};
    throw new UnsupportedMediaType();
  }
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limitBytes) {
    ctx.set('Connection', 'close');
    throw new PayloadTooLarge(limitBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      // Answer 413 and drop the connection afterwards instead of reading the rest.
      ctx.set('Connection', 'close');
      throw new PayloadTooLarge(limitBytes);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const fields: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(text)) {
    if (name in fields) throw new InvalidRequest({ key: 'error.duplicateField', params: { name: name.slice(0, 40) } });
    fields[name] = value;
  }
  return fields;
}
