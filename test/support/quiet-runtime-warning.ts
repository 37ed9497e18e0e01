/**
 * Jest setup file, run in each test file's context: drops oidc-provider's
 * load-time "Unsupported runtime" warning, printed once per run instead
 * (runtime-notice.mjs). Every other warning goes through.
 */
/* eslint-disable no-console -- this file filters the console itself */
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};
