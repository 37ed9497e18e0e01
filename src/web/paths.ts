import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root (where package.json is), found from this file whether it
 * runs from `src/` (tests) or from `dist/src/` (built service). Templates are
 * read from `src/` in both cases, so a build does not need to copy them.
 */
function findProjectRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + start);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
export const SOURCE_ROOT = join(PROJECT_ROOT, 'src');
export const DSFR_DIST = join(PROJECT_ROOT, 'node_modules', '@gouvfr', 'dsfr', 'dist');
export const PUBLIC_ASSETS = join(SOURCE_ROOT, 'web', 'public');
