/**
 * The configuration's documentation from the one schema (config/config-doc.ts):
 *   node dist/src/cli/config-doc.js table     the README's table, on stdout
 *   node dist/src/cli/config-doc.js env       `.env.example`, on stdout
 *   node dist/src/cli/config-doc.js write     rewrites README.md, docs/deployment.md, .env.example, docker/app.env.example
 *   node dist/src/cli/config-doc.js secrets   fresh values of every secret of ours production requires (NAME=value lines)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable, envExample, GENERATED_FILES, generated, generateSecret, productionVariables } from '../../config/config-doc.js';

const ROOT = new URL('../../../', import.meta.url);

function main(what: string | undefined): number {
  switch (what) {
    case 'table':
    case undefined:
      process.stdout.write(`${configTable()}\n`);
      return 0;
    case 'env':
      process.stdout.write(envExample());
      return 0;
    case 'write':
      for (const [file, generate] of Object.entries(GENERATED_FILES)) {
        const url = new URL(file, ROOT);
        writeFileSync(url, generate(readFileSync(url, 'utf8')));
        process.stdout.write(`wrote ${file}\n`);
      }
      return 0;
    case 'secrets':
      for (const spec of productionVariables().filter(generated)) {
        process.stdout.write(`${spec.name}=${generateSecret(spec)}\n`);
      }
      return 0;
    default:
      process.stderr.write('usage: config-doc table|env|write|secrets\n');
      return 2;
  }
}

process.exitCode = main(process.argv[2]);
