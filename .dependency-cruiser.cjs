/**
 * Module boundaries (run by `npm run lint`): a domain module meets another
 * only through its exported services, never through its entities or
 * repositories; production code never imports tests or benchmarks (bench/
 * may import src/, never the reverse); no cycles.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-foreign-entities-or-repositories',
      comment:
        'A module may not import another module\'s entities or repositories: go through its exported service.',
      severity: 'error',
      // src/database/entities.ts lists every entity for the migration generator only.
      from: { path: '^src/([^/]+)/', pathNot: '^src/database/entities\\.ts$' },
      to: {
        path: '^src/([^/]+)/.*\\.(entity|repository)\\.ts$',
        pathNot: ['^src/$1/'],
      },
    },
    {
      name: 'only-the-migration-generator-lists-all-entities',
      comment: 'src/database/entities.ts exists for TypeORM\'s migration generator only.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/data-source\\.ts$', '^src/database/entities\\.ts$'] },
      to: { path: '^src/database/entities\\.ts$' },
    },
    {
      name: 'no-tests-in-production-code',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.spec\\.ts$' },
      to: { path: ['^test/', '\\.spec\\.ts$'] },
    },
    {
      name: 'no-benchmarks-in-production-code',
      comment: 'The benchmarks (bench/) measure the service; the service, its configuration and migrations never import them.',
      severity: 'error',
      from: { path: '^(src|config|migrations)/' },
      to: { path: '^bench/' },
    },
    {
      name: 'witness-stands-alone',
      comment: 'The witness is a separate service: it uses the pure Merkle and note code and its own settings, nothing of the app.',
      severity: 'error',
      from: { path: '^src/witness/' },
      to: { path: '^(src|config)/', pathNot: ['^src/witness/', '^src/journal/(merkle|notes)/', '^config/(witness-config|config|config\\.schema)\\.ts$'] },
    },
    {
      name: 'merkle-and-notes-are-pure',
      comment: 'src/journal/merkle and src/journal/notes are pure code (node:crypto): a verifier or a witness can take them alone.',
      severity: 'error',
      from: { path: '^src/journal/(merkle|notes)/' },
      to: { path: '^(src|config)/', pathNot: '^src/journal/(merkle|notes)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
