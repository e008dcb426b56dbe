import { isIPv6 } from 'node:net';
import type { Context } from 'koa';

/**
 * The client address that per-IP limits count against. `ctx.ip` is the socket's peer unless
 * TRUST_PROXY is set (then the address the nearest proxy appended to X-Forwarded-For; see
 * app.ts), so a client cannot pick its own subject by sending that header.
 *
 * IPv4-mapped IPv6 addresses count as the IPv4 address, and IPv6 addresses by their /64: one
 * subscriber usually holds a whole /64 and could otherwise rotate through 2^64 subjects. A port
 * written beside the address is left out (see withoutPort).
 */
export function clientIpSubject(ctx: Pick<Context, 'ip'>): string {
  return ipSubject(ctx.ip);
}

/**
 * The client address as logs name it: the same `ctx.ip` (so TRUST_PROXY decides alike), whole
 * (an IPv6 address is not cut to its /64), an IPv4-mapped IPv6 address written as IPv4.
 */
export function clientAddress(ctx: Pick<Context, 'ip'>): string {
  return unmappedIPv4(ctx.ip) ?? ctx.ip;
}

export function ipSubject(address: string): string {
  const ip = withoutPort(address);
  const mapped = unmappedIPv4(ip);
  if (mapped) return mapped;
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/**
 * Some proxies write the client's port beside its address in X-Forwarded-For ("203.0.113.7:51234",
 * "[2001:db8::1]:51234": Azure Application Gateway does), and Koa takes the entry as it stands.
 * The port changes with every connection: kept, each would be a client of its own, with its own
 * budget. Only a bracketed address or a dotted quad is read as carrying one: a bare IPv6 address
 * has colons of its own.
 */
function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  return /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(address)?.[1] ?? address;
}

function unmappedIPv4(ip: string): string | undefined {
  return /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)?.[1];
}

function expandIPv6(ip: string): string[] {
  const withoutZone = ip.split('%')[0]!;
  const [head, tail] = withoutZone.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((part) => part.toLowerCase().replace(/^0+(?=.)/, ''));
}
