import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientRegistration } from '../../src/config/config-schema.ts';

// Apache httpd with mod_auth_openidc as a relying party of Sesame: Debian's apache2-bin (the
// server and its modules) and libapache2-mod-auth-openidc, run in the foreground with a
// configuration of its own in a temporary directory, on a loopback port. No system service or
// file of /etc/apache2 is used.

const APACHE2 = process.env.APACHE2 ?? '/usr/sbin/apache2';
const MODULES = process.env.APACHE2_MODULES ?? '/usr/lib/apache2/modules';

const running = new Set<ChildProcess>();
// A test process that ends without its afterAll still stops its servers (Apache stops its workers on SIGTERM).
process.on('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

export interface ApacheOidcOptions {
  /** A free loopback port (the client's redirect URI must name it before Sesame starts). */
  port: number;
  issuer: string;
  client: ClientRegistration;
  /** @default "openid email" */
  scope?: string;
  /** OIDCAuthRequestParams, e.g. "prompt=consent". */
  authRequestParams?: string;
  /** OIDCResponseMode; the module's default is query. */
  responseMode?: 'query' | 'form_post';
}

export interface RunningApacheOidc {
  /** http://127.0.0.1:{port} */
  origin: string;
  /** A page behind `AuthType openid-connect` that echoes the OIDC_CLAIM_* headers the module passes on. */
  protectedUrl: string;
  /** The module's OIDCRedirectURI: the callback, `?info=json`, `?logout=`, `?refresh=`. */
  redirectUri: string;
  /** A public page to come back to after signing out; register it as a post_logout_redirect_uri. */
  signedOutUrl: string;
  /** Apache's error log so far, for failure messages. */
  errorLog(): string;
  stop(): Promise<void>;
}

/** The redirect URI mod_auth_openidc is configured with for `port`; register it with Sesame. */
export function apacheRedirectUri(port: number): string {
  return `http://127.0.0.1:${port}/protected/redirect_uri`;
}

/** The page mod_auth_openidc's app shows after a sign-out on `port`. */
export function apacheSignedOutUrl(port: number): string {
  return `http://127.0.0.1:${port}/signed-out.txt`;
}

/** Checks that apache2 and mod_auth_openidc are installed; throws naming the Debian package otherwise. */
export function requireApacheOidc(): void {
  if (!existsSync(APACHE2)) throw new Error(`${APACHE2} not found: install Debian's apache2-bin (or apache2), or set APACHE2`);
  if (!existsSync(join(MODULES, 'mod_auth_openidc.so'))) throw new Error(`${MODULES}/mod_auth_openidc.so not found: install Debian's libapache2-mod-auth-openidc, or set APACHE2_MODULES`);
}

/** Starts Apache with mod_auth_openidc for `client`; resolves once it accepts connections. */
export async function startApacheOidc({ port, issuer, client, scope = 'openid email', authRequestParams, responseMode }: ApacheOidcOptions): Promise<RunningApacheOidc> {
  requireApacheOidc();
  const dir = mkdtempSync(join(tmpdir(), 'sesame-apache-'));
  // Started as root, Apache runs its workers as `User`, who must read the page it serves.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'htdocs/protected'), { recursive: true });
  writeFileSync(join(dir, 'htdocs/protected/whoami.txt'), 'signed in\n');
  writeFileSync(join(dir, 'htdocs/signed-out.txt'), 'signed out\n');
  const origin = `http://127.0.0.1:${port}`;
  const module = (name: string, file: string) => `LoadModule ${name}_module ${MODULES}/${file}`;
  const config = [
    `ServerRoot "${dir}"`,
    `DefaultRuntimeDir "${dir}"`,
    `PidFile "${dir}/httpd.pid"`,
    `ErrorLog "${dir}/error.log"`,
    'LogLevel warn',
    `Listen 127.0.0.1:${port}`,
    `ServerName 127.0.0.1:${port}`,
    module('mpm_event', 'mod_mpm_event.so'),
    module('authn_core', 'mod_authn_core.so'),
    module('authz_core', 'mod_authz_core.so'),
    module('authz_user', 'mod_authz_user.so'),
    module('headers', 'mod_headers.so'),
    module('auth_openidc', 'mod_auth_openidc.so'),
    ...(process.getuid?.() === 0 ? ['User nobody', 'Group nogroup'] : []),
    'StartServers 1',
    'ServerLimit 1',
    'ThreadsPerChild 8',
    'MaxRequestWorkers 8',
    'MinSpareThreads 1',
    'MaxSpareThreads 8',
    `DocumentRoot "${dir}/htdocs"`,
    '',
    `OIDCProviderMetadataURL ${issuer}/.well-known/openid-configuration`,
    `OIDCClientID ${client.client_id}`,
    `OIDCClientSecret ${client.client_secret}`,
    `OIDCRedirectURI ${apacheRedirectUri(port)}`,
    `OIDCCryptoPassphrase ${randomBytes(24).toString('hex')}`,
    'OIDCPKCEMethod S256',
    `OIDCScope "${scope}"`,
    ...(authRequestParams ? [`OIDCAuthRequestParams ${authRequestParams}`] : []),
    ...(responseMode ? [`OIDCResponseMode ${responseMode}`] : []),
    'OIDCInfoHook iat access_token access_token_expires id_token userinfo refresh_token',
    '',
    '<Location /protected>',
    '  AuthType openid-connect',
    '  Require valid-user',
    '  Header echo ^OIDC_CLAIM_',
    // A page for the signed-in person only: a browser that kept it would show it after a sign-out.
    '  Header set Cache-Control no-store',
    '</Location>',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'httpd.conf'), config);

  const child: ChildProcess = spawn(APACHE2, ['-d', dir, '-f', join(dir, 'httpd.conf'), '-D', 'FOREGROUND'], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  const errorLog = () => `${stderr}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = errorLog();
      await stop();
      throw new Error(`Apache did not start on ${origin}:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { origin, protectedUrl: `${origin}/protected/whoami.txt`, redirectUri: apacheRedirectUri(port), signedOutUrl: apacheSignedOutUrl(port), errorLog, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
