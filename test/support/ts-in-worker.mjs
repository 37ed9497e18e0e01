/**
 * Lets a worker thread started by a test run the TypeScript sources, as Jest
 * does for the test itself: `new Worker(url_of_a_ts_file, { execArgv:
 * ['--import', <this file's URL>] })`. Relative `./x.js` imports from a `.ts`
 * file resolve to `./x.ts` when only that exists, and `.ts` files are
 * compiled by SWC (types removed, nothing else).
 */
import { register } from 'node:module';

register('./ts-in-worker.hooks.mjs', import.meta.url);
