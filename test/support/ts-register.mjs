/**
 * Lets a child process run the TypeScript sources directly (crash tests):
 *   node --import ./test/support/ts-register.mjs some-script.ts
 * Same SWC settings as Jest (legacy decorators with metadata, ES modules).
 */
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
