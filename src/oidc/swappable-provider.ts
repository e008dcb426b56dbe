import type Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';

const isClass = (value: unknown) => typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));

/**
 * oidc-provider reads its keys once, when it is constructed. To change keys without a restart,
 * a new Provider is built and swapped in: requests already inside the old one finish there, the
 * next ones go to the new one. Both share the Store, so nothing of a sign-in lives in either.
 *
 * `provider` stands for whichever is current, so the interaction routes keep one reference. Its
 * methods are bound to the real instance (oidc-provider uses private fields); model classes such
 * as `provider.Grant` are handed out as they are, so `new` and their static methods work.
 */
export function createSwappableProvider(initial: Provider) {
  let current = initial;
  let mounted = mount(initial as unknown as Koa);

  const provider = new Proxy({} as Provider, {
    get(_target, property) {
      const value = Reflect.get(current, property, current) as unknown;
      return typeof value === 'function' && !isClass(value) ? (value as (...args: unknown[]) => unknown).bind(current) : value;
    },
    set(_target, property, value) {
      return Reflect.set(current, property, value, current);
    },
    has(_target, property) {
      return Reflect.has(current, property);
    },
  });

  return {
    provider,
    /** Mount point: hands each request to the provider current when it arrives. */
    middleware: ((ctx, next) => mounted(ctx, next)) as Koa.Middleware,
    swap(next: Provider) {
      current = next;
      mounted = mount(next as unknown as Koa);
    },
  };
}
