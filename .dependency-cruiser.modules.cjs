/**
 * Module cycles (run by `npm run lint` after .dependency-cruiser.cjs): each
 * folder of src/ is a module, and the arrows between folders must run one
 * way. A file-level check misses a cycle that goes through different files
 * (usagers/x.ts → mandates/y.ts while mandates/z.ts → usagers/w.ts); this
 * one looks at folders.
 *
 * src/database/entities.ts is left out: it lists every entity for TypeORM's
 * migration generator only (see .dependency-cruiser.cjs), so its arrows from
 * database/ up to every domain module are not dependencies of the running
 * code.
 */
const base = require('./.dependency-cruiser.cjs');

module.exports = {
  forbidden: [
    {
      name: 'no-module-cycles',
      comment:
        'Two folders of src/ depend on each other (possibly through others): make one of them not know the other ' +
        '(the caller passes values, or the page moves to the higher module). See docs/tour.md.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { path: '^src/', circular: true },
    },
  ],
  options: {
    ...base.options,
    exclude: { path: '^src/database/entities\\.ts$' },
  },
};
