/**
 * The counter benchmark's browser: a cookie jar per origin, redirects
 * followed one request at a time, forms read from the HTML and submitted as
 * a person would. Every request is timed and recorded under its route
 * (`GET /aidant/mandats/:id`), the FranceConnect simulator's apart.
 */

export interface Page {
  url: string;
  status: number;
  html: string;
}

export interface Form {
  action: string;
  hidden: Record<string, string>;
  buttons: Array<{ name: string; value: string }>;
}

/** One request's outcome, for the recorder. */
export interface Sample {
  route: string;
  ms: number;
  ok: boolean;
  /** True for the application's requests, false for the simulator's. */
  app: boolean;
  /** Length of the response's body (characters). */
  size: number;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The route of a request: its method and path with ids folded (`:id`); the simulator's interaction ids too. */
export function routeOf(method: string, url: URL, appOrigin: string): string {
  if (url.origin !== appOrigin) {
    const path = url.pathname.replace(/\/interaction\/[^/]+/, '/interaction/:uid').replace(/\/[A-Za-z0-9_-]{16,}(?=\/|$)/g, '/:uid');
    return `simulator ${method} ${path}`;
  }
  return `${method} ${url.pathname.replace(UUID, ':id')}`;
}

function decode(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The forms of a page that post somewhere, with their hidden fields and buttons. */
export function formsOn(page: Page): Form[] {
  const forms: Form[] = [];
  for (const [, attributes, body] of page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = /action="([^"]*)"/.exec(attributes!)?.[1];
    if (!action) continue;
    const hidden: Record<string, string> = {};
    for (const [input] of body!.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input)?.[1];
      if (name) hidden[name] = decode(/value="([^"]*)"/.exec(input)?.[1] ?? '');
    }
    const buttons = [...body!.matchAll(/<button\b([^>]*)>/g)].map(([, b]) => ({
      name: /name="([^"]*)"/.exec(b!)?.[1] ?? '',
      value: decode(/value="([^"]*)"/.exec(b!)?.[1] ?? ''),
    }));
    forms.push({ action: new URL(decode(action), page.url).href, hidden, buttons });
  }
  return forms;
}

export function csrfOn(page: Page): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.html)?.[1];
  if (!token) throw new Error(`no form token on ${page.url} (HTTP ${page.status})`);
  return token;
}

export class CounterBrowser {
  constructor(
    private readonly appOrigin: string,
    private readonly record: (sample: Sample) => void,
    private readonly jar = new Map<string, Map<string, string>>(),
  ) {}

  /** The same browser (same cookies) recording elsewhere. */
  recordingTo(record: (sample: Sample) => void): CounterBrowser {
    return new CounterBrowser(this.appOrigin, record, this.jar);
  }

  get(url: string): Promise<Page> {
    return this.go(url, 'GET');
  }

  post(url: string, fields: Array<[string, string]> | Record<string, string>): Promise<Page> {
    return this.go(url, 'POST', new URLSearchParams(fields).toString());
  }

  /** Submits the form posting to `actionPath`, with its hidden fields and `extra`. */
  submit(page: Page, actionPath: string, extra: Record<string, string> = {}): Promise<Page> {
    const form = formsOn(page).find((f) => new URL(f.action).pathname === actionPath);
    if (!form) throw new Error(`no form posting to ${actionPath} on ${page.url} (HTTP ${page.status})`);
    return this.post(form.action, { ...form.hidden, ...extra });
  }

  /** Presses the button `name=value` (the form holding it). */
  press(page: Page, name: string, value: string): Promise<Page> {
    const form = formsOn(page).find((f) => f.buttons.some((b) => b.name === name && b.value === value));
    if (!form) throw new Error(`no button ${name}=${value} on ${page.url} (HTTP ${page.status})`);
    return this.post(form.action, { ...form.hidden, [name]: value });
  }

  hasButton(page: Page, name: string): boolean {
    return formsOn(page).some((f) => f.buttons.some((b) => b.name === name));
  }

  private async go(start: string, method: string, body?: string): Promise<Page> {
    let url = new URL(start);
    let init: { method: string; body?: string } = { method, body };
    for (let hop = 0; hop < 15; hop++) {
      const route = routeOf(init.method, url, this.appOrigin);
      const t0 = performance.now();
      let response: Response;
      try {
        response = await fetch(url, {
          method: init.method,
          body: init.body,
          redirect: 'manual',
          headers: {
            accept: 'text/html',
            cookie: this.cookies(url),
            ...(init.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
          },
        });
      } catch (error) {
        this.record({ route, ms: performance.now() - t0, ok: false, app: url.origin === this.appOrigin, size: 0 });
        throw error;
      }
      this.keep(url, response.headers.getSetCookie());
      const location = response.headers.get('location');
      const html = await response.text();
      const ms = performance.now() - t0;
      const redirect = response.status >= 300 && response.status < 400 && location !== null;
      this.record({ route, ms, ok: response.status < 400, app: url.origin === this.appOrigin, size: html.length });
      if (!redirect) return { url: url.href, status: response.status, html };
      url = new URL(location, url);
      init = { method: 'GET' };
    }
    throw new Error(`too many redirects from ${start}`);
  }

  private cookies(url: URL): string {
    return [...(this.jar.get(url.origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(url: URL, headers: string[]): void {
    const jar = this.jar.get(url.origin) ?? new Map<string, string>();
    this.jar.set(url.origin, jar);
    for (const header of headers) {
      const [pair, ...attributes] = header.split(';').map((p) => p.trim());
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      const gone = value === '' || attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()));
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
  }
}
