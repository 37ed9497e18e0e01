/**
 * The partner and browser side of the provider benchmark (provider.bench.ts):
 * plain `fetch` with manual redirects and a cookie jar per simulated browser,
 * PKCE S256 on every flow, `client_secret_basic` at the token endpoint. Run
 * in a worker thread so that the load's own JavaScript does not share the
 * servers' event loop.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Where one provider lives and how its interaction is walked through. */
export interface BenchTarget {
  name: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
  /** `procuration`: the aidant chooses usager and démarche on our pages; `ceiling`: the interaction signs in at once. */
  interaction: 'procuration' | 'ceiling';
  /** Cookies each browser starts with (the signed-in aidant's session), one entry per lane; reused cyclically. */
  browsers: Record<string, string>[];
}

export interface Measurement {
  kind: 'signin' | 'userinfo';
  target: BenchTarget;
  concurrency: number;
  seconds: number;
}

/** The median time of one HTTP step of a sign-in (request sent → body read). */
export interface StepTime {
  step: string;
  count: number;
  p50Ms: number;
}

export interface MeasurementResult {
  /** Complete sign-ins only: each HTTP step's median, in the flow's order (where a sign-in's time goes). */
  steps: StepTime[];
  completed: number;
  failed: number;
  firstError: string | null;
  wallSeconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** A browser's cookies, keyed by name (every cookie is sent everywhere on the one origin: paths only narrow it). */
class CookieJar {
  private readonly cookies: Map<string, string>;
  /** Durations of each HTTP step, in milliseconds, by step name (insertion order = the flow's order). */
  readonly steps = new Map<string, number[]>();

  constructor(initial: Record<string, string> = {}) {
    this.cookies = new Map(Object.entries(initial));
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const gone = attributes.some((a) => {
        const [k, v] = a.trim().split('=');
        const key = k!.toLowerCase();
        return (key === 'max-age' && Number(v) <= 0) || (key === 'expires' && Date.parse(v ?? '') < Date.now());
      });
      if (gone || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

class FlowError extends Error {}

function expectStatus(res: Response, status: number, step: string): void {
  if (res.status !== status) throw new FlowError(`${step}: HTTP ${res.status} (expected ${status})`);
}

/** One step of a browser or partner: the response and its body, timed until the body is read. */
async function timed(jar: CookieJar, step: string, url: string, init: RequestInit = {}): Promise<{ res: Response; body: string }> {
  const t0 = performance.now();
  const res = await fetch(url, { ...init, redirect: 'manual' });
  const body = await res.text();
  const times = jar.steps.get(step) ?? [];
  times.push(performance.now() - t0);
  jar.steps.set(step, times);
  return { res, body };
}

async function browse(jar: CookieJar, step: string, url: string, init: RequestInit = {}): Promise<{ res: Response; body: string }> {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie) headers.set('cookie', cookie);
  const answer = await timed(jar, step, url, { ...init, headers });
  jar.keep(answer.res);
  return answer;
}

function locationOf(res: Response, base: string): string {
  const location = res.headers.get('location');
  if (!location) throw new FlowError(`no Location (HTTP ${res.status})`);
  return new URL(location, base).toString();
}

function match(html: string, pattern: RegExp, what: string): string {
  const found = pattern.exec(html);
  if (!found) throw new FlowError(`no ${what} in the page`);
  return found[1]!;
}

/**
 * Our interaction with an aidant already signed in: the usager list, the
 * démarche, the recap, the confirmation (CSRF token of the page), then the
 * page that moves on to the provider's resume URL. Returns that URL.
 */
async function procurationInteraction(jar: CookieJar, interactionUrl: string): Promise<string> {
  const start = await browse(jar, 'interaction', interactionUrl);
  expectStatus(start.res, 303, 'interaction');
  const usagersUrl = locationOf(start.res, interactionUrl);
  const usagers = await browse(jar, 'usager list', usagersUrl);
  expectStatus(usagers.res, 200, 'usager list');
  const usager = match(usagers.body, /name="usager" value="([0-9a-f-]{36})"/, 'usager');
  const base = usagersUrl.replace(/\/usager$/, '');
  const demarches = await browse(jar, 'démarche list', `${base}/demarche?usager=${usager}`);
  expectStatus(demarches.res, 200, 'démarche list');
  const demarche = match(demarches.body, /name="demarche" value="([a-z]+)"/, 'démarche');
  const recap = await browse(jar, 'recap', `${base}/confirmation?usager=${usager}&demarche=${demarche}`);
  expectStatus(recap.res, 200, 'recap');
  const csrf = match(recap.body, /name="_csrf" value="([^"]+)"/, 'CSRF token');
  const confirmed = await browse(jar, 'confirmation', `${base}/confirmation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, usager, demarche }).toString(),
  });
  expectStatus(confirmed.res, 200, 'confirmation');
  const refresh = match(confirmed.res.headers.get('refresh') ?? '', /^0;url=(.+)$/, 'Refresh target');
  return new URL(refresh, interactionUrl).toString();
}

/** The ceiling's interaction: it signs in at once and sends the browser back to the resume URL. */
async function ceilingInteraction(jar: CookieJar, interactionUrl: string): Promise<string> {
  const { res } = await browse(jar, 'interaction', interactionUrl);
  expectStatus(res, 303, 'interaction');
  return locationOf(res, interactionUrl);
}

export interface Tokens {
  accessToken: string;
  idToken: string;
}

/** One complete partner sign-in; returns the tokens and the userinfo answer. */
export async function signInOnce(target: BenchTarget, jar: CookieJar): Promise<{ tokens: Tokens; userinfo: Record<string, unknown> }> {
  const state = randomBytes(24).toString('base64url');
  const nonce = randomBytes(24).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(target.authorizationEndpoint);
  authorize.search = new URLSearchParams({
    client_id: target.clientId,
    response_type: 'code',
    redirect_uri: target.redirectUri,
    scope: target.scope,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const first = await browse(jar, 'authorize', authorize.toString());
  expectStatus(first.res, 303, 'authorize');
  const interactionUrl = locationOf(first.res, authorize.toString());
  const resumeUrl =
    target.interaction === 'procuration' ? await procurationInteraction(jar, interactionUrl) : await ceilingInteraction(jar, interactionUrl);
  const resumed = await browse(jar, 'resume', resumeUrl);
  expectStatus(resumed.res, 303, 'resume');
  const callback = new URL(locationOf(resumed.res, resumeUrl));
  if (`${callback.origin}${callback.pathname}` !== target.redirectUri) throw new FlowError(`back to ${callback.origin}${callback.pathname}`);
  if (callback.searchParams.get('state') !== state) throw new FlowError(`callback without the state (${callback.searchParams.get('error') ?? ''})`);
  const code = callback.searchParams.get('code');
  if (!code) throw new FlowError('callback without a code');
  const tokens = await exchange(target, jar, code, verifier);
  return { tokens, userinfo: await userinfo(target, tokens.accessToken, jar) };
}

async function exchange(target: BenchTarget, jar: CookieJar, code: string, verifier: string): Promise<Tokens> {
  const basic = Buffer.from(`${encodeURIComponent(target.clientId)}:${encodeURIComponent(target.clientSecret)}`).toString('base64');
  const { res, body: text } = await timed(jar, 'token', target.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: target.redirectUri, code_verifier: verifier }).toString(),
  });
  const body = JSON.parse(text) as { access_token?: string; id_token?: string; error?: string };
  if (res.status !== 200 || !body.access_token || !body.id_token) throw new FlowError(`token: HTTP ${res.status} ${body.error ?? ''}`);
  return { accessToken: body.access_token, idToken: body.id_token };
}

/** A partner's userinfo call; timed as a step of `jar`'s sign-in when given. */
export async function userinfo(target: BenchTarget, accessToken: string, jar?: CookieJar): Promise<Record<string, unknown>> {
  const init = { headers: { authorization: `Bearer ${accessToken}` } };
  let res: Response;
  let body: Record<string, unknown>;
  if (jar) {
    const answer = await timed(jar, 'userinfo', target.userinfoEndpoint, init);
    res = answer.res;
    body = JSON.parse(answer.body) as Record<string, unknown>;
  } else {
    res = await fetch(target.userinfoEndpoint, init);
    body = (await res.json()) as Record<string, unknown>;
  }
  if (res.status !== 200 || typeof body.sub !== 'string') throw new FlowError(`userinfo: HTTP ${res.status} ${String(body.error ?? '')}`);
  return body;
}

export function newBrowser(target: BenchTarget, lane: number): CookieJar {
  return new CookieJar(target.browsers.length > 0 ? target.browsers[lane % target.browsers.length] : {});
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function stepMedians(jars: CookieJar[]): StepTime[] {
  const all = new Map<string, number[]>();
  for (const jar of jars) for (const [step, times] of jar.steps) all.set(step, [...(all.get(step) ?? []), ...times]);
  return [...all].map(([step, times]) => ({ step, count: times.length, p50Ms: percentile(times.sort((a, b) => a - b), 0.5) }));
}

/**
 * `concurrency` lanes, each a browser (and partner) doing one thing after
 * another, for `seconds`: complete sign-ins, or userinfo calls with a token
 * the lane obtained first (outside the clock).
 */
export async function measure(m: Measurement, ready: () => Promise<void> = async () => {}): Promise<MeasurementResult> {
  const times: number[] = [];
  let failed = 0;
  let firstError: string | null = null;
  const lanes = await Promise.all(
    Array.from({ length: m.concurrency }, async (_, lane) => {
      const jar = newBrowser(m.target, lane);
      const token = m.kind === 'userinfo' ? (await signInOnce(m.target, jar)).tokens.accessToken : '';
      return { jar, token };
    }),
  );
  await ready();
  const started = performance.now();
  const deadline = started + m.seconds * 1000;
  await Promise.all(
    lanes.map(async ({ jar, token }) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          if (m.kind === 'signin') await signInOnce(m.target, jar);
          else await userinfo(m.target, token);
          times.push(performance.now() - t0);
        } catch (error) {
          failed += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
          if (!(error instanceof FlowError) || failed > 20) throw error;
        }
      }
    }),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return {
    steps: m.kind === 'signin' ? stepMedians(lanes.map((l) => l.jar)) : [],
    completed: times.length,
    failed,
    firstError,
    wallSeconds,
    perSecond: times.length / wallSeconds,
    p50Ms: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
  };
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'provider-bench-client') {
  const { measurement } = workerData as { measurement: Measurement };
  // The lanes are ready (tokens obtained): the main thread takes its counters, then says go.
  const ready = () =>
    new Promise<void>((resolve) => {
      parentPort!.once('message', () => resolve());
      parentPort!.postMessage({ ready: true });
    });
  measure(measurement, ready).then(
    (result) => parentPort!.postMessage({ result }),
    (error: unknown) => parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
}
