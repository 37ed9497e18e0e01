import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** A Host (or X-Forwarded-Host) value: a name or an IPv4/IPv6 address, and a port; nothing else. */
const HOST_SYNTAX = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Paths that answer whatever the host: load balancers probe them by an internal address. */
const ANY_HOST_PATHS = new Set(['/health']);

/** The host as a URL would write it (lower case, default port dropped), or null when it is not one. */
export function normalisedHost(value: string | undefined, protocol: string): string | null {
  if (!value || !HOST_SYNTAX.test(value)) return null;
  try {
    return new URL(`${protocol}//${value}`).host;
  } catch {
    return null;
  }
}

/**
 * Refuses (421 Misdirected Request) any request addressed to another host
 * than PUBLIC_URL's. The service never builds a URL from the request, but
 * a library might (oidc-provider does), and a page served under a foreign
 * name is one a phishing site could frame or proxy. Behind a trusted proxy
 * the host is the one it forwards (`X-Forwarded-Host`, else `Host`).
 */
export function publicHostOnly(publicUrl: string): RequestHandler {
  const { protocol, host: publicHost } = new URL(publicUrl);
  const page = misdirectedPage(publicUrl);
  return (req: Request, res: Response, next: NextFunction) => {
    if (ANY_HOST_PATHS.has(req.path) || normalisedHost(req.host, protocol) === publicHost) return next();
    res.status(421).setHeader('Cache-Control', 'no-store');
    if (req.accepts(['html', 'json']) === 'json') {
      res.type('application/problem+json').send(
        JSON.stringify({
          type: 'urn:procuration:problem:misdirected_request',
          title: 'Adresse non reconnue',
          status: 421,
          detail: `Ce service répond uniquement à l’adresse ${publicUrl}.`,
        }),
      );
      return;
    }
    res.type('html').send(page);
  };
}

function misdirectedPage(publicUrl: string): string {
  const href = escapeHtml(`${publicUrl}/`);
  return `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Adresse non reconnue – Procuration</title></head>
<body>
<main>
<h1>Adresse non reconnue</h1>
<p>Procuration ne répond pas à l’adresse demandée. Utilisez son adresse officielle : <a href="${href}">${href}</a>.</p>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
