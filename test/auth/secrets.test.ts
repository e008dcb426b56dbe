import { describe, expect, it } from '@jest/globals';
import { randomBase64, randomDigits, randomToken } from '../../src/auth/secrets.ts';

describe('random secrets (drawn from the CSPRNG in blocks)', () => {
  it('randomDigits gives exactly the digits asked for, each digit equally likely', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 25_000; i++) {
      const code = randomDigits(8);
      expect(code).toMatch(/^\d{8}$/);
      for (const digit of code) counts[Number(digit)]!++;
    }
    // 200,000 digits: each should be near 20,000; ±1,000 is over 15 standard deviations.
    for (const count of counts) expect(Math.abs(count - 20_000)).toBeLessThan(1000);
  });

  it('randomToken never repeats, across many refills of the block', () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 20_000; i++) tokens.add(randomToken());
    expect(tokens.size).toBe(20_000);
    for (const token of [...tokens].slice(0, 100)) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(9)).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });

  it('randomBase64 is standard base64 of the bytes asked for', () => {
    const nonce = randomBase64(16);
    expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
    expect(Buffer.from(nonce, 'base64').toString('base64')).toBe(nonce);
  });
});
