// The floor: oidc-provider as it comes (memory adapter, devInteractions) with the same signing
// keys and the same kind of client as Sesame's bench. A throwaway for measuring only: never in
// the product, which turns devInteractions off.
import { readFileSync } from 'node:fs';
import Provider, { type ClientMetadata } from 'oidc-provider';
import type { BenchClients } from './bench-clients.ts';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(readFileSync(process.env.CLIENTS_FILE!, 'utf8')) as BenchClients;
const provider = new Provider(issuer, {
  clients: clients.map((client) => ({ ...client }) as ClientMetadata),
  jwks: JSON.parse(readFileSync(process.env.JWKS_FILE!, 'utf8')),
  cookies: { keys: [process.env.COOKIE_KEYS!] },
  features: { clientCredentials: { enabled: true }, introspection: { enabled: true } },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: `${sub}@example.com`, email_verified: true }) }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'email', 'offline_access'],
  // As Sesame does. The library's default rotates a confidential client's refresh token only once
  // 70% of its life has passed, so without this its "refresh with rotation" would neither consume
  // the old token nor store a new one.
  rotateRefreshToken: true,
});
provider.listen(port, () => process.stdout.write('ready\n'));
// A normal exit on SIGTERM, so that --cpu-prof (BENCH_PROFILE_DIR) writes its profile.
process.on('SIGTERM', () => process.exit(0));
