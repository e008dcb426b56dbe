import { describe, expect, it } from '@jest/globals';
import { ipSubject } from '../../src/http/client-ip.ts';

describe('the subject a client IP is counted as', () => {
  it('keeps IPv4 addresses and unwraps IPv4-mapped IPv6', () => {
    expect(ipSubject('203.0.113.7')).toBe('203.0.113.7');
    expect(ipSubject('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(ipSubject('::FFFF:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts IPv6 by its /64, however it is written', () => {
    expect(ipSubject('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(ipSubject('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(ipSubject('2001:DB8:1:2:0:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(ipSubject('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipSubject('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(ipSubject('::1')).toBe('0:0:0:0::/64');
    expect(ipSubject('2001:db8:1:3::1')).not.toBe(ipSubject('2001:db8:1:2::1'));
  });

  it('leaves out a port that a proxy wrote beside the address, so every connection is one client', () => {
    // Azure Application Gateway appends "ip:port" to X-Forwarded-For; a new port for each connection.
    expect(ipSubject('203.0.113.7:51234')).toBe('203.0.113.7');
    expect(ipSubject('203.0.113.7:443')).toBe(ipSubject('203.0.113.7'));
    expect(ipSubject('[2001:db8:1:2::1]:51234')).toBe('2001:db8:1:2::/64');
    expect(ipSubject('[2001:db8:1:2::1]')).toBe('2001:db8:1:2::/64');
    expect(ipSubject('[::ffff:203.0.113.7]:443')).toBe('203.0.113.7');
  });
});
