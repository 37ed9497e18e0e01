import express from 'express';
import nunjucks from 'nunjucks';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { registerFrenchFilters } from './french/nunjucks-french.js';
import { DSFR_DIST, PUBLIC_ASSETS, SOURCE_ROOT } from './paths.js';

/** Where the public static assets are served (they set their own cache lifetime). */
export const STATIC_PREFIXES = ['/dsfr/', '/static/'] as const;

/**
 * Server-rendered pages: Nunjucks templates looked up from `src/` (each
 * module keeps its own in `<module>/views/`), autoescaping on, and the DSFR
 * assets served by the app itself (the CSP allows no other origin).
 */
export function configureWebShell(app: NestExpressApplication, production: boolean): void {
  const env = nunjucks.configure(SOURCE_ROOT, {
    autoescape: true,
    throwOnUndefined: false,
    noCache: !production,
  });
  registerFrenchFilters(env);
  env.express(app.getHttpAdapter().getInstance());
  app.setViewEngine('njk');

  const maxAge = production ? '7d' : 0;
  app.use('/dsfr', express.static(DSFR_DIST, { maxAge, index: false, fallthrough: true }));
  app.use('/static', express.static(PUBLIC_ASSETS, { maxAge, index: false, fallthrough: true }));
}
