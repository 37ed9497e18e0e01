import { TransactionRunner } from '../database/transaction-runner.js';
import { NotFoundError } from '../shared/domain-error.js';
import { optionText, type OperatorCommand, type OperatorCommandContext } from '../shared/operator-command.js';
import { StructuresService } from './structures.service.js';

/** The structure commands of the operator CLI (`npm run cli`). */

export const STRUCTURE_USAGE = `  structure:create --name <nom> --siret <14 chiffres> --type <mairie|france_services|ccas|mediatheque|association|autre>
                   --address <adresse> [--demarches papiers,logement,…]
  structure:deactivate <siret> / structure:activate <siret>  ferme ou rouvre une structure`;

const OPTIONS = {
  name: { type: 'string' },
  siret: { type: 'string' },
  type: { type: 'string' },
  address: { type: 'string' },
  demarches: { type: 'string' },
} as const;

const create: OperatorCommand = {
  options: OPTIONS,
  async run(c) {
    const v = (name: string) => optionText(c, name);
    const demarches = v('demarches');
    const s = await c.app.get(TransactionRunner).run((m) =>
      c.app.get(StructuresService).create(
        m,
        {
          name: v('name') ?? '',
          siret: v('siret') ?? '',
          type: v('type') ?? '',
          address: v('address') ?? '',
          allowedDemarches: demarches ? demarches.split(',').map((d) => d.trim()) : undefined,
        },
        c.actor,
      ),
    );
    c.io.out(`Structure créée : ${s.name} (SIRET ${s.siret}, id ${s.id}).`);
    return 0;
  },
};

const setActive: OperatorCommand = {
  options: OPTIONS,
  async run(c: OperatorCommandContext) {
    const structures = c.app.get(StructuresService);
    const s = await c.app.get(TransactionRunner).run(async (m) => {
      const found = await structures.findBySiret(m, c.positionals[0] ?? '');
      if (!found) throw new NotFoundError('Aucune structure n’a ce SIRET.', 'unknown structure siret');
      return structures.setActive(m, found.id, c.name === 'structure:activate', c.actor);
    });
    c.io.out(`${s.name} : ${s.active ? 'ouverte' : 'fermée'}.`);
    return 0;
  },
};

export const STRUCTURE_COMMANDS: Record<string, OperatorCommand> = {
  'structure:create': create,
  'structure:activate': setActive,
  'structure:deactivate': setActive,
};
