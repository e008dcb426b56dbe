import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Config } from '../../src/config/config-schema.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { requestSignInMail, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { DEVICE_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT, SERVER_APP_CLIENT, TEST_CLIENT, testConfig } from '../helpers/test-config.ts';
import { accountWithTotp, totpCode } from '../helpers/second-factor.ts';
import { useSesame } from '../helpers/use-sesame.ts';
import { DEVICE_DECISION_ACTION } from '../../src/device-flow/device-pages.ts';

// Random and malicious requests at every route: no answer is a 5xx, none hangs, none shows a
// stack trace or a secret, none redirects off-site; and a regular sign-in works afterwards.

/** Fields a well-formed request to the provider's endpoints would carry; the generator starts from these and spoils them. */
const AUTHORIZE = { client_id: 'test-app', response_type: 'code', scope: 'openid email', redirect_uri: 'http://127.0.0.1:9/callback', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 's', nonce: 'n' };
const CLIENT_AUTH = { client_id: 'test-app', client_secret: TEST_CLIENT.client_secret! };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Stand-ins in a route's fields for a live device's codes (startLiveDevice), filled in when sent. */
const LIVE_USER_CODE = '<live user code>';
const LIVE_DEVICE_CODE = '<live device code>';

/**
 * Every route an attacker can reach, one line each. `:uid` becomes a live sign-in (with or without
 * its cookie), or garbage. `fields` are what a well-formed request carries. A route added later
 * (TOTP, account pages) is one more line here.
 */
const ROUTES: readonly { method: 'GET' | 'POST'; path: string; fields?: Record<string, string> }[] = [
  // Sesame's interaction pages (src/interaction/router.ts)
  { method: 'GET', path: '/interaction/:uid' },
  { method: 'POST', path: '/interaction/:uid/email', fields: { email: 'a@example.com' } },
  { method: 'GET', path: '/interaction/:uid/check' },
  { method: 'POST', path: '/interaction/:uid/code', fields: { code: '123456' } },
  { method: 'GET', path: '/interaction/:uid/link', fields: { t: 'x'.repeat(43) } },
  { method: 'POST', path: '/interaction/:uid/link', fields: { t: 'x'.repeat(43), number: '42' } },
  { method: 'GET', path: '/interaction/:uid/status' },
  { method: 'GET', path: '/interaction/:uid/link/approved' },
  { method: 'POST', path: '/interaction/:uid/continue' },
  { method: 'POST', path: '/interaction/:uid/restart' },
  { method: 'POST', path: '/interaction/:uid/consent', fields: { decision: 'allow' } },
  { method: 'POST', path: '/interaction/:uid/abort' },
  { method: 'GET', path: '/interaction/:uid/totp' },
  { method: 'POST', path: '/interaction/:uid/totp', fields: { code: '123456', remember: 'yes' } },
  { method: 'POST', path: '/interaction/:uid/totp', fields: { recovery_code: 'abcde-fghij' } },
  { method: 'GET', path: '/interaction/:uid/totp/enroll' },
  { method: 'POST', path: '/interaction/:uid/totp/enroll', fields: { code: '123456' } },
  { method: 'GET', path: '/interaction/:uid/recovery-codes' },
  { method: 'POST', path: '/interaction/:uid/recovery-codes', fields: { saved: 'yes' } },
  // A form's address opened with GET: a redirect to its page
  { method: 'GET', path: '/interaction/:uid/email' },
  { method: 'GET', path: '/interaction/:uid/code' },
  { method: 'GET', path: '/interaction/:uid/continue' },
  { method: 'GET', path: '/interaction/:uid/restart' },
  { method: 'GET', path: '/interaction/:uid/consent' },
  { method: 'GET', path: '/interaction/:uid/abort' },
  // The account page (src/account/account-router.ts), with a signed-in account session
  { method: 'GET', path: '/account' },
  { method: 'POST', path: '/account/export' },
  { method: 'GET', path: '/account/export' },
  { method: 'GET', path: '/account/name' },
  { method: 'POST', path: '/account/name', fields: { name: 'Ann Smith' } },
  { method: 'GET', path: '/account/sign-in', fields: { next: '/account/totp/enroll', fresh: '1' } },
  { method: 'GET', path: '/account/callback', fields: { code: 'x', state: 'y' } },
  { method: 'GET', path: '/account/totp/enroll' },
  { method: 'POST', path: '/account/totp/enroll', fields: { code: '123456' } },
  { method: 'GET', path: '/account/totp/remove' },
  { method: 'POST', path: '/account/totp/remove' },
  { method: 'GET', path: '/account/recovery-codes' },
  { method: 'POST', path: '/account/recovery-codes' },
  { method: 'GET', path: '/account/recovery-codes/new' },
  { method: 'POST', path: '/account/recovery-codes/new', fields: { saved: 'yes' } },
  { method: 'POST', path: '/account/devices/forget', fields: { device: 'x' } },
  { method: 'GET', path: '/account/devices/forget' },
  { method: 'POST', path: '/account/browsers/sign-out', fields: { browser: 'others' } },
  { method: 'GET', path: '/account/browsers/sign-out' },
  { method: 'POST', path: '/account/apps/remove', fields: { app: 'test-app' } },
  { method: 'GET', path: '/account/apps/remove' },
  { method: 'GET', path: '/account/email', fields: { problem: 'same' } },
  { method: 'POST', path: '/account/email', fields: { email: 'moved@example.com' } },
  { method: 'GET', path: '/account/email/confirm', fields: { problem: 'wrong' } },
  { method: 'POST', path: '/account/email/confirm', fields: { code: '123456' } },
  { method: 'POST', path: '/account/sign-out' },
  { method: 'GET', path: '/account/sign-out' },
  { method: 'GET', path: '/account/delete', fields: { problem: 'mismatch' } },
  { method: 'POST', path: '/account/delete', fields: { email: 'not-the-account@example.com' } },
  { method: 'GET', path: '/account/deleted' },
  // The device pages (oidc-provider's routes in Sesame's templates, src/device-flow/), with a live
  // device's user code and, for /device/:uid, the sign-in its Allow started
  { method: 'GET', path: '/device', fields: { user_code: LIVE_USER_CODE } },
  { method: 'POST', path: '/device', fields: { user_code: LIVE_USER_CODE } },
  { method: 'POST', path: '/device', fields: { user_code: LIVE_USER_CODE, confirm: 'yes' } },
  { method: 'POST', path: '/device', fields: { user_code: LIVE_USER_CODE, abort: 'yes' } },
  { method: 'GET', path: '/device/:uid' },
  { method: 'GET', path: '/device/connected' },
  { method: 'GET', path: '/device/denied' },
  // oidc-provider's endpoints
  { method: 'POST', path: '/device/auth', fields: { client_id: DEVICE_CLIENT.client_id, scope: 'openid email offline_access' } },
  { method: 'POST', path: '/token', fields: { client_id: DEVICE_CLIENT.client_id, grant_type: DEVICE_GRANT, device_code: LIVE_DEVICE_CODE } },
  { method: 'GET', path: '/auth', fields: AUTHORIZE },
  { method: 'POST', path: '/auth', fields: AUTHORIZE },
  { method: 'GET', path: '/auth/:uid' },
  { method: 'POST', path: '/token', fields: { ...CLIENT_AUTH, grant_type: 'authorization_code', code: 'x', redirect_uri: 'http://127.0.0.1:9/callback', code_verifier: 'v'.repeat(43) } },
  { method: 'GET', path: '/me' },
  { method: 'POST', path: '/me', fields: { access_token: 'x' } },
  { method: 'POST', path: '/token/introspection', fields: { ...CLIENT_AUTH, token: 'x' } },
  { method: 'POST', path: '/token/revocation', fields: { ...CLIENT_AUTH, token: 'x', token_type_hint: 'refresh_token' } },
  { method: 'POST', path: '/request', fields: { ...CLIENT_AUTH, ...AUTHORIZE } },
  { method: 'GET', path: '/session/end', fields: { client_id: 'test-app', post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out' } },
  { method: 'POST', path: '/session/end/confirm', fields: { xsrf: 'x', logout: 'yes' } },
  { method: 'GET', path: '/jwks' },
  { method: 'GET', path: '/.well-known/openid-configuration' },
  // development tools (/demo, /dev) and the rest
  { method: 'GET', path: '/demo' },
  { method: 'GET', path: '/demo/start' },
  { method: 'GET', path: '/demo/callback', fields: { code: 'x', state: 'y' } },
  { method: 'GET', path: '/dev/outbox' },
  { method: 'GET', path: '/dev/outbox.json' },
  { method: 'GET', path: '/static/sesame.css' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/:uid' },
];

/** Random requests per route: bounded, so the whole suite stays around ten seconds (200 per route took 12 s here). */
const RUNS_PER_ROUTE = 60;
/** A response slower than this counts as a hung handler. */
const REQUEST_TIMEOUT_MS = 10_000;
const LIVE_SIGN_INS = 3;

/** Real sign-ins in progress: their uid, cookies, CSRF token, and a complete form that can be replayed. */
let live: { uid: string; browser: HttpBrowser; csrf: string; replay: Record<string, string> }[] = [];
/** A signed-in account page: its cookies and CSRF token serve the /account routes. */
let accountSession: { browser: HttpBrowser; csrf: string };
/**
 * A browser at /device: a device's user code not entered yet (and its device code), and the uid
 * of the sign-in that Allow started for a second code, whose resume cookie the browser holds.
 */
let liveDevice: { browser: HttpBrowser; userCode: string; deviceCode: string; uid: string } | undefined;
let secrets: string[] = [];
const statuses = new Map<string, Map<number, number>>();
/** Where POST /device sent its answers: the device pages answer every form with a redirect (Post/Redirect/Get). */
const deviceFormAnswers = new Set<string>();

// Limits generous enough that the flood below does not lock the final, regular sign-in out:
// what is tested here is that nothing breaks (rate-limits.test.ts tests the limits).
const { rateLimits } = testConfig({ issuer: 'http://unused' });
const generous = { limit: 100_000, windowSeconds: 900 };
const limits: Config['rateLimits'] = { signInMailPerAddress: generous, signInMailPerAddressFromOneIp: generous, signInMailPerIp: generous, codeEntriesPerIp: generous, deviceCodeEntriesPerIp: generous, signInStartsPerIp: generous, emailChangePerAccount: generous, emailChangePerIp: generous, emailChangePerRecipient: generous };
const running = useSesame({ config: { devTools: true, rateLimits: limits, clients: [TEST_CLIENT, SERVER_APP_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT, DEVICE_CLIENT] } });

beforeAll(() => {
  expect(Object.keys(limits).sort()).toEqual(Object.keys(rateLimits).sort());
  const { config } = running.sesame;
  secrets = [
    config.hmacKey,
    ...config.cookieKeys,
    ...config.encryptionKeys.split(',').map((key) => key.slice(key.indexOf(':') + 1)),
    ...[TEST_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT].flatMap((c) => (c.client_secret ? [c.client_secret] : [])),
    ...config.jwks.keys.flatMap((key) => ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((part) => key[part]).filter((v): v is string => typeof v === 'string')),
  ];
});

/**
 * Fresh sign-ins in progress (the previous route's requests may have finished or cancelled them):
 * two wait for their emailed code, the last has proven its email and waits at the authenticator prompt.
 */
async function startLiveSignIns() {
  live = [];
  for (let i = 0; i < LIVE_SIGN_INS; i++) {
    const email = `hostile-${i}-${randomUUID()}@example.com`;
    const last = i === LIVE_SIGN_INS - 1;
    const totp = last ? await accountWithTotp(running.sesame, email) : undefined;
    const signIn = await requestSignInMail(running, email);
    const fields = formFields(signIn.checkPage.html, '/code');
    if (!totp) {
      live.push({ uid: signIn.uid, browser: signIn.browser, csrf: fields.csrf!, replay: { ...fields, code: signIn.mail.code! } });
      continue;
    }
    const prompt = await signIn.browser.navigate(`${running.sesame.url}/interaction/${signIn.uid}/code`, { form: { ...fields, code: signIn.mail.code! } });
    expect(prompt.url).toMatch(/\/totp$/);
    live.push({ uid: signIn.uid, browser: signIn.browser, csrf: fields.csrf!, replay: { ...formFields(prompt.html, '/totp'), code: totpCode(totp.secret) } });
  }
}

/** Signs a browser in to /account with an emailed code. */
async function signInToAccountPage() {
  const { browser, page } = await signInWithCodeAt(running, `${running.sesame.url}/account`, 'hostile-account@example.com');
  expect(page.url).toBe(`${running.sesame.url}/account`);
  accountSession = { browser, csrf: formFields(page.html, '/account/sign-out').csrf! };
}

/** A device's codes, as the device gets them at /device/auth. */
async function startDevice(): Promise<{ user_code: string; device_code: string }> {
  const response = await fetch(`${running.sesame.url}/device/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: DEVICE_CLIENT.client_id, scope: 'openid email' }) });
  return (await response.json()) as { user_code: string; device_code: string };
}

/** A fresh live device (the previous route's requests may have entered, allowed or denied its code). */
async function startLiveDevice() {
  const browser = new HttpBrowser();
  const [waiting, allowed] = [await startDevice(), await startDevice()];
  const form = await browser.navigate(`${running.sesame.url}/device`);
  const confirmation = await browser.navigate(`${running.sesame.url}/device`, { form: { ...formFields(form.html, '/device'), user_code: allowed.user_code } });
  const emailForm = await browser.navigate(`${running.sesame.url}${DEVICE_DECISION_ACTION}`, { form: { ...formFields(confirmation.html, DEVICE_DECISION_ACTION), confirm: 'yes' } });
  expect(emailForm.url).toMatch(/\/interaction\/[^/]+$/);
  liveDevice = { browser, userCode: waiting.user_code, deviceCode: waiting.device_code, uid: emailForm.url.split('/').pop()! };
}

/** The device page's xsrf field as it is now: the library makes a new one at each page it shows. */
async function currentDeviceXsrf(device: NonNullable<typeof liveDevice>): Promise<string> {
  return formFields((await device.browser.navigate(`${running.sesame.url}/device`)).html, '/device').xsrf!;
}

afterAll(async () => {
  live = [];
  if (process.env.HOSTILE_STATS) process.stdout.write(`${JSON.stringify(Object.fromEntries([...statuses].map(([k, v]) => [k, Object.fromEntries(v)])))}\n`);
});

// ---- what a hostile request is made of ------------------------------------------------------

// encodeURIComponent throws on lone surrogates; browsers send U+FFFD for them, and so do we.
const wellFormedText = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const encode = (entries: readonly (readonly [string, string])[]) => entries.map(([k, v]) => `${encodeURIComponent(wellFormedText(k))}=${encodeURIComponent(wellFormedText(v))}`).join('&');

const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.constantFrom('', ' ', '\u0000', '\r\nX-Injected: 1', '%', '%zz', '%00', '../../etc/passwd', '<script>alert(1)</script>', '" onmouseover="x', "' OR 1=1 --", '{{7*7}}', '${7*7}', '__proto__', 'constructor', '\u202e', '\ud800', 'A'.repeat(5000), 'https://evil.example/', '//evil.example', 'javascript:alert(1)', '-1', '1e309', 'NaN', '[]', '{}'),
  fc.constantFrom('test-app', 'first-party-spa', 'machine', 'sesame-demo', 'openid email offline_access', 'code', 'none', 'login consent', 'S256', 'plain', 'authorization_code', 'refresh_token', 'client_credentials', 'http://127.0.0.1:9/callback', 'a@example.com', '000000', '42'),
);
const fieldName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('csrf', 'email', 'code', 't', 'number', 'decision', 'xsrf', 'logout', 'client_id', 'client_secret', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce', 'prompt', 'max_age', 'claims', 'acr_values', 'code_challenge', 'code_challenge_method', 'code_verifier', 'grant_type', 'refresh_token', 'token', 'token_type_hint', 'access_token', 'id_token_hint', 'post_logout_redirect_uri', 'login_hint', 'request', 'request_uri', 'resource', 'error', '__proto__', 'constructor') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);
/**
 * How a request's fields are spoiled: the route's own fields get hostile values (`values`, by
 * index), other fields are added or replaced (`entries`), repeated ones included (parameter
 * pollution), or the well-formed fields are left out altogether.
 */
const spoilers = fc.record({
  values: fc.array(fc.tuple(fc.nat(), nasty), { minLength: 1, maxLength: 3 }),
  entries: fc.array(fc.tuple(fieldName, nasty), { maxLength: 4 }),
  repeat: fc.boolean(),
  dropValid: fc.boolean(),
});

/** The fields of one request: the route's well-formed ones, spoiled. `csrf` is the form's token, as `[field, value]`. */
function fieldsFor(valid: Record<string, string>, { values, entries, repeat, dropValid }: { values: [number, string][]; entries: [string, string][]; repeat: boolean; dropValid: boolean }, csrf?: readonly [string, string]): [string, string][] {
  const base: [string, string][] = dropValid ? [] : Object.entries(valid);
  for (const [index, value] of values) if (base.length > 0) base[index % base.length]![1] = value;
  if (csrf !== undefined) base.push([...csrf]);
  if (repeat) return [...base, ...entries];
  const replaced = new Map(base);
  for (const [key, value] of entries) replaced.set(key, value);
  return [...replaced];
}

const body = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('fields' as const), withCsrf: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 512 }).map((text) => ({ kind: 'raw' as const, text: wellFormedText(text) })) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz=%', 'a=%E0%A4%A', '=&=&&==', 'a'.repeat(20_000), `x=${'%41'.repeat(30_000)}`, '{"email":"a@example.com"}', '[1,2', 'a=1&a=2&a=3').map((text) => ({ kind: 'raw' as const, text })) },
  { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 300_000 }).map((size) => ({ kind: 'raw' as const, text: `email=${'x'.repeat(size)}` })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'replay' as const }) },
);
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  { weight: 2, arbitrary: fc.constantFrom(undefined, 'application/x-www-form-urlencoded; charset=utf-8', 'application/x-www-form-urlencoded; charset=bogus-charset', 'application/json', 'text/plain', 'multipart/form-data; boundary=xyz', 'application/xml', '*/*', 'x', ';;;') },
);
const cookies = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'real' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constantFrom('_interaction=abc; _interaction.sig=forged', '_session=x; _session.sig=y; _session.legacy=z', '_interaction_resume=%00', 'sesame_demo={"verifier":1}; sesame_demo.sig=nope', 'sesame_demo=not-json', `big=${'c'.repeat(6000)}`, '===;;;', '_interaction=../../x').map((header) => ({ kind: 'forged' as const, header })) },
);
const uid = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'live' as const }) },
  { weight: 1, arbitrary: fc.constantFrom('nope', 'a'.repeat(64), 'a'.repeat(500), '..', '%2e%2e', '%2F%2Fevil.example', '%00', '%E2%80%AE', '%ZZ', 'uid%3Fx%3D1').map((raw) => ({ kind: 'raw' as const, raw })) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map((s) => ({ kind: 'raw' as const, raw: encodeURIComponent(wellFormedText(s)) })) },
);
const headers = fc.record(
  {
    accept: fc.constantFrom('text/html', 'application/json', '*/*', 'image/png', 'application/json;q=0.1, text/html;q=0.9', ''),
    origin: fc.constantFrom('same', 'same', 'https://evil.example', 'null', ''),
    'sec-fetch-site': fc.constantFrom('same-origin', 'same-origin', 'cross-site', 'same-site', 'none', 'garbage'),
    authorization: fc.constantFrom(`Basic ${Buffer.from(`test-app:${TEST_CLIENT.client_secret}`).toString('base64')}`, 'Basic dGVzdC1hcHA6d3Jvbmc=', 'Basic !!!', 'Bearer x', 'Bearer ', 'DPoP abc', `Basic ${Buffer.from('test-app:').toString('base64')}`, 'Negotiate', 'x'.repeat(3000)),
    dpop: fc.constantFrom('not.a.jwt', 'eyJhbGciOiJub25lIn0.e30.', ''),
    'x-forwarded-for': fc.constantFrom('1.2.3.4', 'not-an-ip', '::1, 10.0.0.1', ''),
    'x-forwarded-proto': fc.constantFrom('https', 'gopher', ''),
    'user-agent': fc.constantFrom('', 'curl/8', '\u00ff\u00fe', 'x'.repeat(2000)),
  },
  { requiredKeys: [] },
);
const chaos = fc.record({ sign: fc.integer({ min: 0, max: LIVE_SIGN_INS - 1 }), uid, query: spoilers, body, bodySpoilers: spoilers, contentType, cookies, headers });
/**
 * Half the requests look right from the outside (a live sign-in, its cookie and CSRF token, a form
 * from our own origin) and carry hostile field values, so they reach the handlers themselves
 * instead of bouncing off the first check; the other half is chaos all the way down.
 */
const wellFormed = fc.record({ sign: fc.integer({ min: 0, max: LIVE_SIGN_INS - 1 }), query: spoilers, bodySpoilers: spoilers, accept: fc.constantFrom('text/html', 'application/json') }).map(
  ({ sign, query, bodySpoilers, accept }) => ({
    sign,
    uid: { kind: 'live' as const },
    query,
    body: { kind: 'fields' as const, withCsrf: true },
    bodySpoilers: { ...bodySpoilers, repeat: false },
    contentType: 'application/x-www-form-urlencoded' as const,
    cookies: { kind: 'real' as const },
    headers: { accept, origin: 'same' as const, 'sec-fetch-site': 'same-origin' as const },
  }),
);
const request = fc.oneof(chaos, wellFormed);

// ---- sending it and judging the answer --------------------------------------------------------

type HostileRequest = typeof chaos extends fc.Arbitrary<infer T> ? T : never;
type Route = (typeof ROUTES)[number];

async function send(route: Route, input: HostileRequest) {
  const signIn = live[input.sign]!;
  // The device's pages (not /device/auth, which the device itself calls): the live device's browser, its code and sign-in.
  const device = /^\/device(\/(?!auth$)|$)/.test(route.path) ? liveDevice : undefined;
  const path = route.path.replace(':uid', input.uid.kind === 'live' ? (device?.uid ?? signIn.uid) : input.uid.raw);
  const liveFields = Object.fromEntries(Object.entries(route.fields ?? {}).map(([name, value]) => [name, value === LIVE_USER_CODE ? liveDevice!.userCode : value === LIVE_DEVICE_CODE ? liveDevice!.deviceCode : value]));
  // GET routes get their fields in the query, POST routes in the body (and random query on top).
  const query = route.method === 'GET' ? fieldsFor(liveFields, input.query) : fieldsFor({}, input.query);
  const url = `${running.sesame.url}${path}${query.length > 0 ? `?${encode(query)}` : ''}`;
  const requestHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) {
    if (value === '' || value === undefined) continue;
    requestHeaders[name] = name === 'origin' && value === 'same' ? running.sesame.url : value;
  }
  const onAccountPage = route.path.startsWith('/account');
  // The device pages' form carries the library's xsrf field, not Sesame's csrf.
  const csrf: readonly [string, string] = onAccountPage ? ['csrf', accountSession.csrf] : device ? ['xsrf', route.method === 'POST' ? await currentDeviceXsrf(device) : ''] : ['csrf', signIn.csrf];
  if (input.cookies.kind === 'real') requestHeaders.cookie = onAccountPage || device ? (device?.browser ?? accountSession.browser).cookieHeader(new URL(url)) : signIn.browser.cookieHeader(new URL(`${running.sesame.url}/interaction/${signIn.uid}/`));
  if (input.cookies.kind === 'forged') requestHeaders.cookie = input.cookies.header;
  let payload: string | undefined;
  if (route.method === 'POST') {
    if (input.body.kind === 'fields') payload = encode(fieldsFor(liveFields, input.bodySpoilers, input.body.withCsrf ? csrf : undefined));
    if (input.body.kind === 'raw') payload = input.body.text;
    if (input.body.kind === 'replay') payload = new URLSearchParams(signIn.replay).toString();
    if (input.contentType !== undefined) requestHeaders['content-type'] = input.contentType;
  }
  const response = await fetch(url, { method: route.method, headers: requestHeaders, body: payload, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((error: Error) => {
    throw new Error(`${route.method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms, or the connection dropped (${error.name}: ${error.message})`);
  });
  return { response, text: await response.text(), path };
}

/** Stack frames, source paths and JS error names: what a leaked exception looks like. */
const INTERNALS = /\bat (?:async )?[\w$.<>[\] ]*\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+\)?|node_modules\/|\/src\/[\w/-]+\.ts\b|\b(?:Type|Reference|Syntax|Range)Error\b/;
const REGISTERED_TARGETS = [TEST_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT].flatMap((c) => [...(c.redirect_uris ?? []), ...(c.post_logout_redirect_uris ?? [])]);

function judge(route: Route, { response, text, path }: { response: Response; text: string; path: string }) {
  const name = `${route.method} ${route.path}`;
  statuses.set(name, (statuses.get(name) ?? new Map()).set(response.status, (statuses.get(name)?.get(response.status) ?? 0) + 1));
  const where = `${route.method} ${path.slice(0, 120)} → ${response.status}`;
  if (response.status >= 500) throw new Error(`${where}: server error\n${text.slice(0, 500)}`);
  const leak = INTERNALS.exec(text);
  if (leak) throw new Error(`${where}: looks like internals leaked: ${JSON.stringify(leak[0])}`);
  for (const secret of secrets) if (text.includes(secret) || [...response.headers.values()].some((v) => v.includes(secret))) throw new Error(`${where}: a secret leaked`);
  const location = response.headers.get('location');
  if (name === 'POST /device' && location !== null) deviceFormAnswers.add(location);
  if (location !== null) {
    const to = new URL(location, running.sesame.url);
    const registered = REGISTERED_TARGETS.some((uri) => to.href === uri || to.href.startsWith(`${uri}?`) || to.href.startsWith(`${uri}#`));
    if (to.origin !== running.sesame.url && !registered) throw new Error(`${where}: redirects off-site to ${to.href}`);
  }
}

describe('hostile input at every route', () => {
  it('the route table covers the provider\'s endpoints as discovery names them', async () => {
    const discovery = (await (await fetch(`${running.sesame.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const paths = new Set(ROUTES.map((route) => route.path));
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint', 'jwks_uri', 'pushed_authorization_request_endpoint', 'device_authorization_endpoint']) {
      expect([endpoint, paths.has(new URL(discovery[endpoint] as string).pathname)]).toEqual([endpoint, true]);
    }
  });

  it('the route table covers every page and form of the sign-in, the account page and the device pages', () => {
    // Each mounted @koa/router's dispatch function carries its router (and so its routes).
    type Layer = { path: string; methods: string[] };
    const routers = (running.sesame.app.middleware as unknown as { router?: { stack: Layer[] } }[]).flatMap((middleware) => middleware.router?.stack ?? []);
    const mounted = routers.flatMap((layer) => layer.methods.filter((method) => method === 'GET' || method === 'POST').map((method) => `${method} ${layer.path}`));
    const ours = mounted.filter((route) => /^(GET|POST) \/(interaction|account)\//.test(route) || /^GET \/account$/.test(route) || /^(GET|POST) \/device(\/|$)/.test(route));
    expect(ours.length).toBeGreaterThan(30);
    const listed = new Set(ROUTES.map((route) => `${route.method} ${route.path}`));
    expect(ours.filter((route) => !listed.has(route))).toEqual([]);
  });

  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s: no 5xx, no hang, no leak, no off-site redirect', async (_name, route) => {
    if (live.length === 0 || route.path.includes(':uid')) await startLiveSignIns();
    if (route.path.startsWith('/account')) await signInToAccountPage();
    if (liveDevice === undefined || route.path.startsWith('/device') || Object.values(route.fields ?? {}).includes(LIVE_DEVICE_CODE)) await startLiveDevice();
    const run = await fc.check(
      fc.asyncProperty(request, async (input) => {
        judge(route, await send(route, input));
      }),
      { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
    );
    // fast-check's own report prints the whole counterexample: megabytes of it for a huge body.
    if (run.failed) {
      const brief = JSON.stringify(run.counterexample, (_key, value: unknown) => (typeof value === 'string' && value.length > 120 ? `${value.slice(0, 60)}…(${value.length} chars)` : value));
      throw new Error(`${(run.errorInstance as Error | undefined)?.message}\nreplay with { seed: ${run.seed}, path: "${run.counterexamplePath}" }\ninput: ${brief}`);
    }
  }, 60_000);

  it('the random requests got past the first checks, not only bounced off them', () => {
    // A suite whose requests all die at the first check (404, 415, CSRF) tests nothing deeper.
    const reached = (name: string, ok: (status: number) => boolean) => [...(statuses.get(name)?.keys() ?? [])].some(ok);
    for (const route of ['POST /interaction/:uid/email', 'POST /interaction/:uid/code', 'GET /interaction/:uid/check', 'GET /interaction/:uid/status', 'POST /interaction/:uid/totp', 'GET /account', 'POST /account/totp/enroll']) {
      expect([route, reached(route, (s) => s === 200 || s === 303 || s === 400)]).toEqual([route, true]);
    }
    // Codes looked up, which only a form with the session's current xsrf gets to.
    expect([...deviceFormAnswers].filter((to) => to === '/device?error=wrong-code' || to === '/device?error=no-code')).not.toEqual([]);
    expect(reached('GET /auth', (s) => s === 303)).toBe(true);
    expect(reached('POST /token', (s) => s === 400)).toBe(true);
  });

  it('a regular sign-in still works afterwards', async () => {
    const { tokens } = await signInWithCode(running, 'after-the-storm@example.com');
    expect(tokens.claims()!.email).toBe('after-the-storm@example.com');
    expect((await fetch(`${running.sesame.url}/jwks`)).status).toBe(200);
  });
});
