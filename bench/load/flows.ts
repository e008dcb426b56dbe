import { createHash, randomBytes } from 'node:crypto';
import type { Agent } from 'node:http';
import { basicAuth, BENCH_APP } from '../servers/bench-clients.ts';
import { expectStatus, hiddenField, hiddenFields, HttpSession } from './http-session.ts';
import type { MailSink } from './mail-sink.ts';

export interface FlowTarget {
  origin: string;
  agent: Agent;
}

export interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
}

/** An /auth URL with PKCE (S256), as a real app builds it; returns the verifier too. */
function authorizationRequest(extra: Record<string, string> = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    client_id: BENCH_APP.client_id,
    response_type: 'code',
    redirect_uri: BENCH_APP.redirect_uris[0]!,
    scope: 'openid email',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { path: `/auth?${params}`, verifier };
}

function codeFromCallback(location: string | undefined): string {
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (!code || !location!.startsWith(BENCH_APP.redirect_uris[0]!)) throw new Error(`expected a redirect to the app with a code, got ${location}`);
  return code;
}

export async function exchangeCode(target: FlowTarget, code: string, verifier: string): Promise<Tokens> {
  const session = new HttpSession(target.agent, target.origin);
  const reply = await session.postApi('/token', { grant_type: 'authorization_code', code, redirect_uri: BENCH_APP.redirect_uris[0]!, code_verifier: verifier }, { authorization: basicAuth(BENCH_APP) });
  expectStatus(reply, 200, 'token');
  return JSON.parse(reply.body) as Tokens;
}

/**
 * A whole passwordless sign-in through Sesame's pages in a fresh browser, as a person does it:
 * authorize, email form, "check your email", code from the mail, consent, back at the app.
 * Returns the authorization code and verifier (the app's token request is a separate step), and
 * how long the mail took to arrive once the "check your email" page was shown.
 */
export async function sesameSignInUntilCode(target: FlowTarget, mail: MailSink, email: string, extra?: Record<string, string>) {
  const browser = new HttpSession(target.agent, target.origin);
  const { path, verifier } = authorizationRequest(extra);
  const toLogin = expectStatus(await browser.get(path), 303, 'authorize');
  const loginPage = expectStatus(await browser.get(toLogin.location!), 200, 'email page');
  const uid = /\/interaction\/([^/?]+)/.exec(toLogin.location!)![1]!;
  const codeArrives = mail.waitForCode(email);
  const sent = expectStatus(await browser.post(`/interaction/${uid}/email`, { csrf: hiddenField(loginPage.body, 'csrf'), email }), 303, 'email');
  const checkPage = expectStatus(await browser.get(sent.location!), 200, 'check email page');
  // What the person waits for: from the "check your email" page to the mail in their inbox.
  const waitingSince = performance.now();
  const code = await codeArrives;
  const mailWaitMs = performance.now() - waitingSince;
  // The code form's hidden fields, as a browser sends them (the CSRF token and the address).
  const toResume = expectStatus(await browser.post(`/interaction/${uid}/code`, { ...hiddenFields(checkPage.body, `/interaction/${uid}/code`), code }), 303, 'code');
  const toConsent = expectStatus(await browser.get(toResume.location!), 303, 'resume after login');
  const consentUid = /\/interaction\/([^/?]+)/.exec(toConsent.location!)?.[1];
  if (!consentUid) return { code: codeFromCallback(toConsent.location), verifier, mailWaitMs };
  const consentPage = expectStatus(await browser.get(toConsent.location!), 200, 'consent page');
  const consented = expectStatus(await browser.post(`/interaction/${consentUid}/consent`, { csrf: hiddenField(consentPage.body, 'csrf'), decision: 'allow' }), 303, 'consent');
  const toApp = expectStatus(await browser.get(consented.location!), 303, 'resume after consent');
  return { code: codeFromCallback(toApp.location), verifier, mailWaitMs };
}

/** The bare library's flow through its devInteractions pages: login form, consent form, back at the app. */
export async function bareFlowUntilCode(target: FlowTarget, accountId: string, extra?: Record<string, string>) {
  const browser = new HttpSession(target.agent, target.origin);
  const { path, verifier } = authorizationRequest(extra);
  const toLogin = expectStatus(await browser.get(path), 303, 'authorize');
  expectStatus(await browser.get(toLogin.location!), 200, 'login page');
  const loggedIn = expectStatus(await browser.post(toLogin.location!, { prompt: 'login', login: accountId, password: 'any' }), 303, 'login');
  const toConsent = expectStatus(await browser.get(loggedIn.location!), 303, 'resume after login');
  expectStatus(await browser.get(toConsent.location!), 200, 'consent page');
  const consented = expectStatus(await browser.post(toConsent.location!, { prompt: 'consent' }), 303, 'consent');
  const toApp = expectStatus(await browser.get(consented.location!), 303, 'resume after consent');
  return { code: codeFromCallback(toApp.location), verifier };
}

export async function refresh(target: FlowTarget, refreshToken: string): Promise<Tokens> {
  const session = new HttpSession(target.agent, target.origin);
  const reply = await session.postApi('/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, { authorization: basicAuth(BENCH_APP) });
  expectStatus(reply, 200, 'refresh');
  return JSON.parse(reply.body) as Tokens;
}
