/**
 * Prints the configuration table (for README.md) or `.env.example` from the
 * one schema, so the documentation cannot drift from what is validated:
 *   node dist/src/cli/config-doc.js table|env
 */
import { CONFIG_SCHEMA } from '../../config/config.schema.js';

function table(): string {
  const rows = CONFIG_SCHEMA.map((spec) => {
    const def = spec.default === undefined ? '—' : spec.sensitive ? '*(development value)*' : `\`${spec.default}\``;
    const flags = [spec.sensitive ? 'secret' : '', spec.requiredInProduction ? 'required in production' : '']
      .filter(Boolean)
      .join(', ');
    return `| \`${spec.name}\` | ${def} | ${spec.description}${flags ? ` *(${flags})*` : ''} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function envExample(): string {
  return CONFIG_SCHEMA.map((spec) => {
    const value = spec.sensitive || spec.default === undefined ? '' : spec.default;
    const comment = `# ${spec.description.replace(/`/g, '')}`;
    return `${comment}\n# ${spec.name}=${value}`;
  }).join('\n\n');
}

const what = process.argv[2];
process.stdout.write(`${what === 'env' ? envExample() : table()}\n`);
