/**
 * The configuration's documentation, generated from the one schema so that it
 * cannot drift from what is validated: the README's table, `.env.example`,
 * `docker/app.env.example` and the production table of `docs/deployment.md`.
 * `npm run config:doc -- write` rewrites them; a unit spec checks that the
 * committed files equal what this module generates.
 */
import { randomBytes } from 'node:crypto';
import { CONFIG_SCHEMA, type VariableSpec } from './config.schema.js';

/** Marks the generated part of a Markdown file. */
export const BEGIN = (name: string) => `<!-- ${name}: generated from config/config.schema.ts by \`npm run config:doc -- write\`, do not edit -->`;
export const END = (name: string) => `<!-- end of ${name} -->`;

/** The variables a production set-up sets: those production requires, then the recommended ones, in schema order. */
export function productionVariables(): VariableSpec[] {
  return CONFIG_SCHEMA.filter((spec) => spec.requiredInProduction || spec.productionValue !== undefined);
}

/** How to make a value for a secret, from its rule. */
export function secretRecipe(spec: VariableSpec): string {
  if (spec.kind.type === 'string' && spec.kind.pattern?.source.includes('0-9a-fA-F')) return 'openssl rand -hex 32';
  if (spec.kind.type === 'string' && spec.kind.pattern?.source.includes('A-Za-z0-9+/')) return 'openssl rand -base64 32';
  return 'openssl rand -base64 48';
}

/** Whether a value of this variable is generated locally (a key or secret of ours, not one given by someone else). */
export function generated(spec: VariableSpec): boolean {
  return Boolean(spec.sensitive && spec.requiredInProduction && !spec.productionHint);
}

/** A fresh random value satisfying a secret's rule (`npm run config:doc -- secrets`). */
export function generateSecret(spec: VariableSpec): string {
  const recipe = secretRecipe(spec);
  if (recipe.includes('-hex')) return randomBytes(32).toString('hex');
  if (recipe.includes('-base64 32')) return randomBytes(32).toString('base64');
  return randomBytes(48).toString('base64');
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const plain = (text: string) => text.replace(/`/g, '');

/** The README's table of every variable. */
export function configTable(): string {
  const rows = CONFIG_SCHEMA.map((spec) => {
    const def = spec.default === undefined ? '—' : spec.sensitive ? '*(development value)*' : `\`${spec.default}\``;
    const flags = [spec.sensitive ? 'secret' : '', spec.requiredInProduction ? 'required in production' : '']
      .filter(Boolean)
      .join(', ');
    return `| \`${spec.name}\` | ${def} | ${spec.description}${flags ? ` *(${flags})*` : ''} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** `.env.example`: every variable, commented out, with its development default. */
export function envExample(): string {
  const header = [
    '# Procuration configuration. Every variable is optional in development;',
    '# production (NODE_ENV=production) requires the secrets and refuses their development values.',
    '# Generated from config/config.schema.ts by `npm run config:doc -- write`: do not edit.',
  ].join('\n');
  const body = CONFIG_SCHEMA.map((spec) => {
    const value = spec.sensitive || spec.default === undefined ? '' : spec.default;
    return `# ${plain(spec.description)}\n# ${spec.name}=${value}`;
  });
  return `${[header, ...body].join('\n\n')}\n`;
}

/** `docker/app.env.example`: what production needs, empty where a secret or a site-specific value goes. */
export function productionEnvExample(): string {
  const header = [
    '# Settings of the app container in production (copy to docker/app.env, fill in every empty value, never commit it).',
    '# Every variable production requires is here; the README lists them all.',
    '# Generated from config/config.schema.ts by `npm run config:doc -- write`: do not edit.',
  ].join('\n');
  const body = productionVariables().map((spec) => {
    const source = spec.productionHint ? ` ${capitalised(spec.productionHint)}.` : '';
    const how = generated(spec) ? ` Required; generate with: ${secretRecipe(spec)}` : spec.requiredInProduction ? `${source} Required.` : source;
    return `# ${plain(spec.description)}${how}\n${spec.name}=${spec.productionValue ?? ''}`;
  });
  return `${[header, ...body].join('\n\n')}\n`;
}

/** The table of `docs/deployment.md`: every variable production requires, then the recommended ones. */
export function productionTable(): string {
  const rows = productionVariables().map((spec) => {
    let value: string;
    if (generated(spec)) value = `required secret: \`${secretRecipe(spec)}\``;
    else if (spec.requiredInProduction) value = `required${spec.sensitive ? ' secret' : ''}: ${spec.productionHint ?? plain(spec.description)}`;
    else if (spec.productionValue) value = `\`${spec.productionValue}\``;
    else value = spec.productionHint ?? 'recommended';
    return `| \`${spec.name}\` | ${value} | ${spec.description} |`;
  });
  return ['| variable | in production | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Replaces the generated part `name` of a Markdown text (between its markers). */
export function replaceGenerated(text: string, name: string, generated: string): string {
  const begin = text.indexOf(BEGIN(name));
  const end = text.indexOf(END(name));
  if (begin === -1 || end === -1 || end < begin) throw new Error(`markers of ${name} not found`);
  return `${text.slice(0, begin)}${BEGIN(name)}\n${generated}\n${text.slice(end)}`;
}

/** The files (relative to the repository root) and how each is rewritten from its current text. */
export const GENERATED_FILES: Record<string, (current: string) => string> = {
  'README.md': (current) => replaceGenerated(current, 'configuration table', configTable()),
  'docs/deployment.md': (current) => replaceGenerated(current, 'production settings', productionTable()),
  '.env.example': () => envExample(),
  'docker/app.env.example': () => productionEnvExample(),
};
