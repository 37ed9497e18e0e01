import type { BrowserContext, ConsoleMessage, Request, Response } from 'playwright-core';

/**
 * What a browser reports going wrong on the pages a suite visits, whatever
 * the suite checks itself: an error on the console, an uncaught script
 * error, a request that failed (refused, aborted, blocked), and a response
 * of status 400 or more that nobody expected.
 *
 * Expected without saying: the app's own error pages, reached by navigating
 * (a document of the main frame answered 4xx: the suites visit them on
 * purpose and check what they say), with the console line Chromium writes
 * for them. Anything else (a style sheet, a script, an icon answered 4xx; a
 * 5xx anywhere) is a problem unless the test declares it with
 * `expectPageProblem`.
 *
 * Every context of a browser from `launchBrowser` is watched; the browser
 * project's setup file asserts after each test that nothing was reported.
 */
interface Watch {
  consoleErrors: Array<{ text: string; url: string }>;
  pageErrors: string[];
  failedRequests: Array<{ line: string; url: string; errorText: string }>;
  /** Addresses the browser saved as a download: Chromium ends their request as aborted. */
  downloads: Set<string>;
  responses: Array<{ url: string; status: number; document: boolean }>;
  expected: RegExp[];
}

const KEY = Symbol.for('procuration.browser.page-problems');
/** One record per test file's module registry (the setup file and the suite may load this module apart). */
function state(): Watch {
  const holder = globalThis as unknown as Record<symbol, Watch | undefined>;
  holder[KEY] ??= { consoleErrors: [], pageErrors: [], failedRequests: [], downloads: new Set(), responses: [], expected: [] };
  return holder[KEY];
}

function isMainFrameDocument(request: Request): boolean {
  if (request.resourceType() !== 'document' || !request.isNavigationRequest()) return false;
  const frame = request.frame();
  return frame.parentFrame() === null;
}

/** Starts recording what `context`'s pages report (every page, present and future). */
export function watchPageProblems(context: BrowserContext): BrowserContext {
  const watch = state();
  context.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') watch.consoleErrors.push({ text: message.text(), url: message.location().url });
  });
  context.on('weberror', (error) => {
    watch.pageErrors.push(`${error.page()?.url() ?? '?'}: ${error.error().message}`);
  });
  context.on('requestfailed', (request: Request) => {
    const errorText = request.failure()?.errorText ?? 'failed';
    watch.failedRequests.push({ line: `${request.method()} ${request.url()}: ${errorText}`, url: request.url(), errorText });
  });
  context.on('page', (page) => page.on('download', (download) => watch.downloads.add(download.url())));
  for (const page of context.pages()) page.on('download', (download) => watch.downloads.add(download.url()));
  context.on('response', (response: Response) => {
    if (response.status() < 400) return;
    watch.responses.push({ url: response.url(), status: response.status(), document: isMainFrameDocument(response.request()) });
  });
  return context;
}

/** Declares a problem the current test causes on purpose (matched against the reported line). */
export function expectPageProblem(pattern: RegExp): void {
  state().expected.push(pattern);
}

/** Everything reported since the last call, as lines; resets the record and the expected problems. */
export function takePageProblems(): string[] {
  const watch = state();
  const errorPages = new Set(watch.responses.filter((r) => r.document && r.status < 500).map((r) => r.url));
  const lines = [
    ...watch.consoleErrors
      // Chromium's own line for an error page the suite navigated to.
      .filter((e) => !(errorPages.has(e.url) && /^Failed to load resource: the server responded with a status of 4\d\d/.test(e.text)))
      .map((e) => `console error: ${e.text} (${e.url})`),
    ...watch.pageErrors.map((e) => `uncaught error: ${e}`),
    ...watch.failedRequests
      // Aborted by the browser itself: a download (saved, not shown), or the icon it fetches on its
      // own after the load, cut short when a test closes the page or prints it right away.
      .filter((r) => !(r.errorText === 'net::ERR_ABORTED' && (watch.downloads.has(r.url) || /\/favicon\.(svg|ico)$/.test(new URL(r.url).pathname))))
      .map((r) => `request failed: ${r.line}`),
    ...watch.responses.filter((r) => !(r.document && r.status < 500)).map((r) => `response ${r.status}: ${r.url}`),
  ];
  const unexpected = lines.filter((line) => !watch.expected.some((pattern) => pattern.test(line)));
  watch.consoleErrors = [];
  watch.pageErrors = [];
  watch.failedRequests = [];
  watch.downloads = new Set();
  watch.responses = [];
  watch.expected = [];
  return unexpected;
}
