import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/clock.js';
import { csrfOf, seedAidant, seedStructure, TEST_PASSWORD, totpAt } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signInAsUsager, usagerBrowser } from '../support/usagers.js';

/**
 * Finding 8 of the security review: every route the application registers,
 * read from Express's router (and the provider face's endpoints, read from
 * its discovery document), receives NUL bytes, bytes that are not UTF-8,
 * overlong values and values of the wrong shape in its query string, its
 * route parameters and its form or JSON body, from an anonymous visitor,
 * an aidant who is also référent, an aidant alone and a usager, each with a
 * valid CSRF token so that bodies reach the handlers. No answer is a 5xx.
 */

interface Route {
  method: 'GET' | 'POST';
  path: string;
}

interface RouterLayer {
  route?: { path: unknown; methods: Record<string, boolean> };
}

/** Routes of Nest's controllers as Express's router holds them (Express 5: `app.router.stack`). */
function registeredRoutes(t: TestApp): Route[] {
  const express = t.app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } };
  const routes: Route[] = [];
  for (const layer of express.router.stack) {
    if (!layer.route || typeof layer.route.path !== 'string') continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      const upper = method.toUpperCase();
      if (on && (upper === 'GET' || upper === 'POST')) routes.push({ method: upper, path: layer.route.path });
    }
  }
  return routes;
}

/** A cookie jar and a CSRF token for one person, on plain fetch (no redirect followed). */
class Client {
  private readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(
    readonly name: string,
    private readonly base: string,
  ) {}

  setCookieHeader(header: string): void {
    for (const pair of header.split('; ').filter((p) => p.includes('='))) {
      this.cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
  }

  async send(method: string, pathAndQuery: string, body?: { type: string; text: string }): Promise<{ status: number; text: string }> {
    const response = await fetch(`${this.base}${pathAndQuery}`, {
      method,
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': body.type } : {}),
        ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}),
      },
      body: body?.text,
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const name = pair!.slice(0, pair!.indexOf('='));
      const value = pair!.slice(pair!.indexOf('=') + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, text: await response.text() };
  }
}

/** One kind of bad input: how it is written into a query string or form body, and as JSON. */
interface Payload {
  label: string;
  /** Refused by the input guard before any session or role is looked at: sent by two people only. */
  refused?: boolean;
  /** Raw `name=value` pairs (already percent-encoded as sent), for the query string and a form body. */
  pairs(names: readonly string[]): string;
  /** The same as a JSON body, when JSON can say it. */
  json?(names: readonly string[]): Record<string, unknown>;
  /** The route parameter's raw (encoded) text. */
  param: string;
}

const raw = (value: string) => (names: readonly string[]) => names.map((n) => `${encodeURIComponent(n)}=${value}`).join('&');
const enc = (value: string) => raw(encodeURIComponent(value));
const json = (value: unknown) => (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, value]));
/** Long values go in a few fields at a time: a URL over 16 kB is cut by Node before any route. */
const few = (names: readonly string[]) => names.slice(0, 3);

/** Values each field gets in turn: what passes the input guard and reaches handlers and SQL. */
const ACCEPTED = [
  `' OR 1=1 --<script>"\\`,
  '2026-02-30',
  '99999999999999999999999',
  '../../../etc/passwd',
  '👩‍👩‍👧\u202e\u2028\u00a0',
  '00000000-0000-0000-0000-000000000000',
  '-1',
];
/** Field `i` gets `values[(i + offset) % length]`: several kinds of input in one request. */
const mixed = (values: readonly string[], offset: number, encode = true) => (names: readonly string[]) =>
  names.map((n, i) => `${encodeURIComponent(n)}=${encode ? encodeURIComponent(values[(i + offset) % values.length]!) : values[(i + offset) % values.length]}`).join('&');

const PAYLOADS: Payload[] = [
  // Refused by the input guard (the provider face refuses them on its own terms).
  { refused: true, label: 'NUL byte', pairs: raw('a%00b'), json: json('a\u0000b'), param: 'a%00b' },
  { refused: true, label: 'NUL byte inside a well-formed email', pairs: raw('marie%00%40vesoul.test'), json: json('marie\u0000@vesoul.test'), param: 'marie%00%40vesoul.test' },
  { refused: true, label: 'bytes that are not UTF-8 (invalid, truncated, surrogate, overlong)', pairs: mixed(['%FF%FE', 'abc%C3', '%ED%A0%80', '%C0%AF'], 0, false), json: json('\ud800'), param: '%FF%FE' },
  { refused: true, label: 'escape and other control characters', pairs: raw('a%1B%07%7Fb'), json: json('a\u001bb'), param: 'a%1Bb' },
  { refused: true, label: 'value over the length limit', pairs: (n) => enc('é'.repeat(9000))(few(n)), json: (n) => json('x'.repeat(9000))(few(n)), param: 'x'.repeat(9000) },
  { refused: true, label: 'repeated fields', pairs: (n) => `${enc('a')(n)}&${enc('b')(n)}`, json: json(['a', 'b']), param: 'a,b' },
  { refused: true, label: 'bracketed names and nested objects', pairs: (n) => n.map((x) => `${x}[a]=1&${x}[]=2&${x}[__proto__][x]=3`).join('&'), json: json({ a: { b: 1 } }), param: '%5Ba%5D' },
  { refused: true, label: 'numbers, booleans and null', pairs: raw('1e309'), json: (n) => Object.fromEntries(n.map((x, i) => [x, [12, null, true][i % 3]])), param: 'null' },
  // Accepted: they reach the handlers.
  ...[0, 1, 2].map((offset): Payload => ({
    label: `SQL, markup, impossible dates, huge numbers, traversal, emoji, unknown ids (mix ${offset})`,
    pairs: mixed(ACCEPTED, offset),
    param: encodeURIComponent(ACCEPTED[offset]!),
  })),
  { label: 'a crafted page cursor (a year alone, dashes for an id)', pairs: enc(Buffer.from(JSON.stringify({ at: '1', id: '-'.repeat(36) })).toString('base64url')), param: 'eyJhdCI6IjEifQ' },
  { label: 'invalid percent-encoding', pairs: raw('%ZZ%'), param: '%ZZ' },
  { label: 'long values under the limit', pairs: (n) => enc('Ω'.repeat(1500))(few(n)), json: (n) => json('y'.repeat(8000))(few(n)), param: 'z'.repeat(4000) },
  { label: 'empty values', pairs: raw(''), json: json(''), param: '%20' },
];

/** Form field names of every page a person is shown, and the names links carry in their query strings. */
function fieldNamesIn(html: string): string[] {
  const names = new Set<string>();
  for (const match of html.matchAll(/name="([A-Za-z_][\w-]{0,40})"/g)) names.add(match[1]!);
  for (const match of html.matchAll(/[?&](?:amp;)?([A-Za-z_][\w-]{0,40})=/g)) names.add(match[1]!);
  return [...names];
}

/** The route's path with every parameter (`:id`, wildcards `*rest`, optional groups `{…}`) given `value`. */
function withParams(path: string, value: string): string {
  return path.replace(/[:*][A-Za-z_]+/g, value).replace(/[{}]/g, '');
}

describe('fuzz: every registered route answers bad input without a 5xx', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  const clients: Client[] = [];
  const signInAgain = new Map<string, () => Promise<void>>();

  async function signedInClient(name: string, email: string): Promise<Client> {
    const client = new Client(name, t.url);
    const signIn = async () => {
      clock.advance(30_000);
      client.csrf = '';
      const form = await client.send('GET', '/aidant/connexion');
      const body = new URLSearchParams({ _csrf: csrfOf(form.text), email, password: TEST_PASSWORD, totp: totpAt(clock) });
      const res = await client.send('POST', '/aidant/connexion', { type: 'application/x-www-form-urlencoded', text: body.toString() });
      expect(res.status).toBe(303);
      client.csrf = csrfOf((await client.send('GET', '/aidant')).text);
    };
    await signIn();
    signInAgain.set(name, signIn);
    return client;
  }

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', LOG_LEVEL: 'silent' }, { clock });
    const vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    await seedAidant(t, { email: 'helene@vesoul.test', givenName: 'Hélène', memberships: [{ structureId: vesoul, roles: ['aidant', 'referent'] }] });
    await seedAidant(t, { email: 'marie@vesoul.test', givenName: 'Marie', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });

    const anonymous = new Client('anonymous', t.url);
    anonymous.csrf = csrfOf((await anonymous.send('GET', '/aidant/connexion')).text);
    clients.push(anonymous, await signedInClient('référente', 'helene@vesoul.test'), await signedInClient('aidant', 'marie@vesoul.test'));

    const angela = usagerBrowser();
    await signInAsUsager(t, angela, 'angela');
    const usager = new Client('usager', t.url);
    usager.setCookieHeader((angela as unknown as { cookieHeader(url: string): string }).cookieHeader(`${t.url}/usager`));
    const space = await usager.send('GET', '/usager');
    expect(space.status).toBe(200);
    usager.csrf = csrfOf(space.text);
    clients.push(usager);
    // Three sign-ins and a FranceConnect round trip: more than the default minute on a busy machine.
  }, 180_000);

  afterAll(async () => {
    await t?.close();
  });

  it('sends every kind of bad input to every route as every kind of person', async () => {
    const started = Date.now();
    const routes = registeredRoutes(t);
    // The router is really read: the routes of every area are there.
    for (const known of ['/aidant/connexion', '/structure/journal', '/usager/journal', '/attestations/verification', '/health']) {
      expect(routes.map((r) => r.path)).toContain(known);
    }
    expect(routes.length).toBeGreaterThanOrEqual(40);

    // Field names: those of every page each person can see, plus the link parameters.
    const names = new Set<string>(['apres', 'jws', 'suite', 'jeton', 'state', 'expiree', 'usager', 'demarche', 'format']);
    for (const client of clients) {
      for (const route of routes.filter((r) => r.method === 'GET')) {
        const page = await client.send('GET', withParams(route.path, '00000000-0000-0000-0000-000000000000'));
        for (const name of fieldNamesIn(page.text)) if (name !== '_csrf') names.add(name);
      }
    }
    const fields = [...names].sort();
    expect(fields).toEqual(expect.arrayContaining(['email', 'password', 'totp', 'demarches', 'duree']));

    // Sign-outs last, so that the other routes are reached with a session.
    const ordered = [...routes].sort((a, b) => Number(/deconnexion/.test(a.path)) - Number(/deconnexion/.test(b.path)));
    const failures: string[] = [];
    let requests = 0;
    for (const route of ordered) {
      for (const client of clients) {
        // One person's requests to one route go together: the suite stays within a minute.
        const payloads = client.name === 'anonymous' || client.name === 'référente' ? PAYLOADS : PAYLOADS.filter((p) => !p.refused);
        const attempts = payloads.flatMap((payload) => {
          const path = withParams(route.path, payload.param);
          const sent: Array<[Payload, Promise<{ status: number }>]> = [];
          if (route.method === 'GET') {
            sent.push([payload, client.send('GET', `${path}?${payload.pairs(fields)}`)]);
          } else {
            sent.push([payload, client.send('POST', `${path}?${payload.pairs(few(fields))}`, { type: 'application/x-www-form-urlencoded', text: payload.pairs(fields) })]);
            if (payload.json) sent.push([payload, client.send('POST', path, { type: 'application/json', text: JSON.stringify(payload.json(fields)) })]);
          }
          return sent;
        });
        for (const [payload, attempt] of attempts) {
          const res = await attempt;
          requests += 1;
          if (res.status >= 500) failures.push(`${route.method} ${route.path} as ${client.name} with ${payload.label}: ${res.status}`);
        }
        // A POST may have ended the session (sign-out): sign in again for the next routes.
        if (route.method === 'POST' && signInAgain.has(client.name) && (await client.send('GET', '/aidant')).status !== 200) {
          await signInAgain.get(client.name)!();
        }
      }
    }

    // The provider face: every endpoint its discovery document announces.
    const discovery = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const endpoints = Object.entries(discovery)
      .filter(([key, value]) => (key.endsWith('_endpoint') || key === 'jwks_uri') && typeof value === 'string')
      .map(([, value]) => new URL(value as string).pathname);
    expect(endpoints.length).toBeGreaterThanOrEqual(5);
    const anonymous = clients[0]!;
    for (const endpoint of endpoints) {
      const sent = PAYLOADS.flatMap((payload): Array<[string, Promise<{ status: number }>]> => [
        [payload.label, anonymous.send('GET', `${endpoint}?${payload.pairs(['client_id', 'redirect_uri', 'scope', 'response_type', 'state', 'token', 'id_token_hint'])}`)],
        [payload.label, anonymous.send('POST', endpoint, { type: 'application/x-www-form-urlencoded', text: payload.pairs(['client_id', 'client_secret', 'grant_type', 'code', 'token', 'redirect_uri', 'code_verifier']) })],
      ]);
      for (const [label, attempt] of sent) {
        const res = await attempt;
        requests += 1;
        if (res.status >= 500) failures.push(`provider ${endpoint} with ${label}: ${res.status}`);
      }
    }

    expect(failures).toEqual([]);
    // Reported for the record (docs/security.md): how much was sent and how long it took. Through the
    // console, which Jest shows with `--reporters=default` and keeps out of `npm test`'s summary.
    // eslint-disable-next-line no-console -- the figure is the point of this line
    console.log(`fuzz: ${routes.length} routes, ${endpoints.length} provider endpoints, ${fields.length} field names, ${requests} requests in ${Date.now() - started} ms`);
  }, 300_000);
});
