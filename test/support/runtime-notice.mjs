/**
 * Jest global setup: says once per run what oidc-provider would otherwise say
 * in every test file (each file loads it anew): this Node.js is older than
 * the versions some dependencies support (package.json `engines`).
 */
import { readFileSync } from 'node:fs';

export default function runtimeNotice() {
  const lts = process.release?.lts;
  if (lts && lts >= 'Jod') return;
  const { engines } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  process.stderr.write(`\nNode.js ${process.version} runs the tests; the dependencies support ${engines.node} (oidc-provider warns once per test file; silenced).\n`);
}
