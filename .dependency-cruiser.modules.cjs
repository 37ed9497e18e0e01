/**
 * The floors of src/ (run by `npm run lint` after .dependency-cruiser.cjs;
 * docs/tour.md draws them). Each folder of src/ is a room on one floor, and
 * an import may point to a lower floor, or sideways within a floor, never
 * up. Two rules keep it so:
 *
 * - no-arrow-up: a file imports nothing from a higher floor;
 * - no-module-cycles: no two folders depend on each other, possibly through
 *   others (a file-level check misses usagers/x.ts → mandates/y.ts while
 *   mandates/z.ts → usagers/w.ts; this one looks at folders), which also
 *   keeps the sideways arrows one way.
 *
 * A new folder gets a floor in FLOORS (the lowest floor above everything it
 * imports); a file that must reach up turns the arrow round instead (the
 * caller passes a value or a function, as the CLI does for key rotation).
 */
const base = require('./.dependency-cruiser.cjs');

/** Lowest first: folders of src/, and the files directly in src/ (without `.ts`). */
const FLOORS = [
  { name: 'foundations', folders: ['shared', 'clock', 'demarches'], files: ['logging', 'logging-redaction'] },
  { name: 'plumbing', folders: ['database', 'keys', 'mail'] },
  { name: 'web and journal', folders: ['web', 'journal'] },
  { name: 'shared services', folders: ['sessions', 'structures'] },
  { name: 'identities and peers', folders: ['aidants', 'franceconnect', 'partners'] },
  { name: 'usagers', folders: ['usagers', 'health', 'fc-simulator'] },
  { name: 'mandates', folders: ['mandates'] },
  { name: 'faces over everything', folders: ['provider', 'supervision', 'notices', 'remote-consent'] },
  { name: 'assembly', folders: ['cli', 'seed', 'demo-partner', 'witness'], files: ['app.module', 'app.factory', 'main', 'cluster'] },
];

/** A path pattern for the rooms of some floors (a root file's unit spec lives on its floor). */
function rooms(floors) {
  const folders = floors.flatMap((f) => f.folders);
  const files = floors.flatMap((f) => f.files ?? []);
  const patterns = [`^src/(${folders.join('|')})/`];
  if (files.length > 0) patterns.push(`^src/(${files.map((f) => f.replace(/\./g, '\\.')).join('|')})(\\.spec)?\\.ts$`);
  return patterns;
}

const arrowsUp = FLOORS.slice(0, -1).map((floor, index) => ({
  name: 'no-arrow-up',
  comment:
    `A file on the floor "${floor.name}" imports from a higher floor: turn the arrow round (the caller passes a value ` +
    'or a function) or move the code up. See docs/tour.md.',
  severity: 'error',
  from: { path: rooms([floor]) },
  to: { path: rooms(FLOORS.slice(index + 1)) },
}));

module.exports = {
  forbidden: [
    ...arrowsUp,
    {
      name: 'every-room-on-a-floor',
      comment: 'A folder or file of src/ that is on no floor: add it to FLOORS in .dependency-cruiser.modules.cjs.',
      severity: 'error',
      from: { path: '^src/', pathNot: rooms(FLOORS) },
      to: {},
    },
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
  options: base.options,
};
