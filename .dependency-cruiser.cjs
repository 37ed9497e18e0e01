/**
 * Boundaries between files (run by `npm run lint` on src/, config/,
 * migrations/, bench/ and test/):
 *
 * - a domain module meets another only through its exported services, never
 *   through its entities or repositories; the one file that lists every
 *   entity is the migration generator's DataSource (src/cli/data-source.ts);
 * - tests obey the same rule from their side: a suite under test/<module>/
 *   may import src/<module>/'s entities and repositories (it tests that
 *   module), any other module only through its services, and the shared
 *   harness (test/support/) none at all (it goes through services or SQL);
 * - production code (src/, config/, migrations/) never imports tests or
 *   benchmarks; tests never import benchmarks (bench/ may import src/);
 * - no file cycles.
 *
 * The arrows between the folders of src/ (floors, one way) are checked by
 * .dependency-cruiser.modules.cjs; docs/tour.md draws them.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-foreign-entities-or-repositories',
      comment:
        'A module may not import another module\'s entities or repositories: go through its exported service.',
      severity: 'error',
      // The migration generator's DataSource lists every entity (nothing imports it).
      from: { path: '^src/([^/]+)/', pathNot: '^src/cli/data-source\\.ts$' },
      to: {
        path: '^src/([^/]+)/.*\\.(entity|repository)\\.ts$',
        pathNot: ['^src/$1/'],
      },
    },
    {
      name: 'tests-meet-other-modules-through-services',
      comment:
        'A suite under test/<module>/ may import that module\'s entities and repositories, not another\'s: ' +
        'go through the other module\'s service (or SQL in the harness). test/support/ and top-level suites import none.',
      severity: 'error',
      from: { path: '^test/([^/]+)/' },
      to: {
        path: '^src/([^/]+)/.*\\.(entity|repository)\\.ts$',
        pathNot: ['^src/$1/'],
      },
    },
    {
      name: 'no-entities-in-top-level-tests',
      comment: 'A suite directly under test/ belongs to no module: it reaches modules through their services.',
      severity: 'error',
      from: { path: '^test/[^/]+\\.ts$' },
      to: { path: '^src/.*\\.(entity|repository)\\.ts$' },
    },
    {
      name: 'no-tests-in-production-code',
      severity: 'error',
      from: { path: '^(src|config|migrations)/', pathNot: '\\.spec\\.ts$' },
      to: { path: ['^test/', '\\.spec\\.ts$'] },
    },
    {
      name: 'no-benchmarks-in-production-code-or-tests',
      comment:
        'The benchmarks (bench/) measure the service; the service, its configuration, migrations and tests never import them.',
      severity: 'error',
      from: { path: '^(src|config|migrations|test)/' },
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
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
