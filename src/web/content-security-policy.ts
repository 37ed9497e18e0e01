/**
 * The Content-Security-Policy directives every page we serve starts from
 * (helmet's camel-case names): our own origin only, no plugins, no framing.
 * The service adds its `form-action`, `connect-src` and `base-uri 'none'`
 * (app.factory.ts); the FranceConnect simulator adds `base-uri 'self'` and
 * no `form-action` (fc-simulator/fc-simulator.ts). Both import it from here,
 * so a tightening reaches both.
 */
export const SAME_ORIGIN_CSP_DIRECTIVES = Object.freeze({
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
});
