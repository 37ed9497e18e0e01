/**
 * A minimal browser for driving sign-in pages over real HTTP: a cookie jar
 * (per origin, with paths), redirects followed by hand, and HTML forms
 * submitted as a person would. It stops when it is sent to `stopAt` (the
 * relying party's callback, which these suites call directly).
 */

interface Cookie {
  name: string;
  value: string;
  path: string;
}

export interface Page {
  url: string;
  status: number;
  html: string;
  headers: Headers;
  /** True when the browser was redirected to `stopAt`: `url` is that address. */
  stopped: boolean;
}

export class TestBrowser {
  private readonly jar = new Map<string, Map<string, Cookie>>();

  /** `stopAt` may be changed between requests (e.g. to replay a callback URL once captured). */
  constructor(public stopAt: string) {}

  /** Names of the cookies this browser would send to `url`. */
  cookieNames(url: string): string[] {
    return this.cookieHeader(url)
      .split('; ')
      .filter((pair) => pair.length > 0)
      .map((pair) => pair.slice(0, pair.indexOf('=')));
  }

  get(url: string): Promise<Page> {
    return this.go(url, { method: 'GET' });
  }

  post(url: string, form: Record<string, string>): Promise<Page> {
    return this.go(url, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  private async go(start: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Page> {
    let url = start;
    let request = init;
    for (let hop = 0; hop < 15; hop += 1) {
      if (url.startsWith(this.stopAt)) return { url, status: 302, html: '', headers: new Headers(), stopped: true };
      const response = await fetch(url, {
        ...request,
        redirect: 'manual',
        headers: { ...request.headers, accept: 'text/html', cookie: this.cookieHeader(url) },
      });
      this.store(url, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        // Read the (empty) body first: the server may still be saving the
        // session when the headers arrive, and the next hop must see it.
        await response.arrayBuffer();
        url = new URL(location, url).href;
        request = { method: 'GET' };
        continue;
      }
      return { url, status: response.status, html: await response.text(), headers: response.headers, stopped: false };
    }
    throw new Error('too many redirects');
  }

  private cookieHeader(url: string): string {
    const { origin, pathname } = new URL(url);
    const cookies = [...(this.jar.get(origin)?.values() ?? [])].filter(
      (cookie) => pathname === cookie.path || pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`),
    );
    return cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }

  private store(url: string, headers: string[]): void {
    const { origin } = new URL(url);
    const cookies = this.jar.get(origin) ?? new Map<string, Cookie>();
    this.jar.set(origin, cookies);
    for (const header of headers) {
      const [pair, ...attributes] = header.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      const attribute = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attribute('path') ?? '/';
      const expires = attribute('expires');
      const removed = attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now()) || value === '';
      const key = `${name};${path}`;
      if (removed) cookies.delete(key);
      else cookies.set(key, { name, value, path });
    }
  }
}

export interface HtmlForm {
  action: string;
  hidden: Record<string, string>;
  /** `name=value` of each submit button. */
  buttons: Array<{ name: string; value: string; label: string }>;
}

function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The POST forms of a page, read the way a browser would submit them. */
export function formsOf(page: Page): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = /action="([^"]*)"/.exec(match[1])?.[1];
    if (!action) continue;
    const hidden: Record<string, string> = {};
    for (const input of match[2].matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1];
      if (name) hidden[name] = decode(value ?? '');
    }
    const buttons = [...match[2].matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/g)].map((button) => ({
      name: /name="([^"]*)"/.exec(button[1])?.[1] ?? '',
      value: decode(/value="([^"]*)"/.exec(button[1])?.[1] ?? ''),
      label: decode(button[2].trim()),
    }));
    forms.push({ action: new URL(decode(action), page.url).href, hidden, buttons });
  }
  return forms;
}

/** Submits the form holding the button `name=value`. */
export function clickButton(browser: TestBrowser, page: Page, name: string, value: string): Promise<Page> {
  const form = formsOf(page).find((candidate) => candidate.buttons.some((b) => b.name === name && b.value === value));
  if (!form) throw new Error(`no button ${name}=${value} on ${page.url} (status ${page.status})`);
  return browser.post(form.action, { ...form.hidden, [name]: value });
}
