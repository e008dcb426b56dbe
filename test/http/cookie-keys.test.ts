import { describe, expect, it } from '@jest/globals';
import Keygrip from 'keygrip';
import { CookieKeys } from '../../src/http/cookie-keys.ts';

const OLD = 'old-secret-0123456789abcdef0123456789abcdef';
const NEW = 'new-secret-0123456789abcdef0123456789abcdef';

describe('cookie keys', () => {
  it('makes exactly the signatures Keygrip makes, so no cookie breaks on upgrade', () => {
    const ours = new CookieKeys([NEW, OLD]);
    const keygrip = new Keygrip([NEW, OLD]);
    for (const data of ['_session=abc', '_interaction=x'.repeat(20), 'é ü ☃']) {
      expect(ours.sign(data)).toBe(keygrip.sign(data));
      expect(ours.index(data, keygrip.sign(data))).toBe(0);
    }
  });

  it('verifies with every key, telling which one signed', () => {
    const signedWithOld = new CookieKeys([OLD]).sign('_session=abc');
    const rotated = new CookieKeys([NEW, OLD]);
    expect(rotated.index('_session=abc', signedWithOld)).toBe(1);
    expect(rotated.verify('_session=abc', signedWithOld)).toBe(true);
  });

  it('rejects a wrong, truncated or foreign signature', () => {
    const keys = new CookieKeys([NEW]);
    const good = keys.sign('_session=abc');
    expect(keys.verify('_session=abd', good)).toBe(false);
    expect(keys.verify('_session=abc', good.slice(0, -1))).toBe(false);
    expect(keys.verify('_session=abc', new CookieKeys([OLD]).sign('_session=abc'))).toBe(false);
    expect(keys.index('_session=abc', '')).toBe(-1);
  });
});
