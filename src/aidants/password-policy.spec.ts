import { describe, expect, it } from '@jest/globals';
import { isCommonPassword, passwordProblem } from './password-policy.js';
import { hashPassword, verifyPassword } from './password-hasher.js';

const owner = { email: 'camille.durand@mairie.example.fr', givenName: 'Élodie Camille', familyName: 'Durand' };

describe('password policy', () => {
  it.each(['Procuration-demo-2026', 'correct horse battery staple', 'Vingt-deux v’là les flics'])(
    'accepts %j',
    (password) => {
      expect(passwordProblem(password, owner)).toBeNull();
    },
  );

  it('checks the common-password list shipped with the service (no network)', () => {
    expect(isCommonPassword('password1234')).toBe(true);
    expect(isCommonPassword('motdepasse')).toBe(true);
    expect(isCommonPassword('Procuration-demo-2026')).toBe(false);
  });

  it('refuses passwords made only of the service’s own words, and accepts a phrase that contains one', () => {
    for (const password of ['Procuration2026!', 'aidants-connect-75', 'FranceConnect 2026', 'MandatProcuration1']) {
      expect(passwordProblem(password, owner)).toMatch(/mots du service/);
    }
    expect(passwordProblem('mon aidant lit des romans policiers', owner)).toBeNull();
  });

  it('does not count the email’s domain as personal', () => {
    const demo = { email: 'aidant@demo.procuration.test', givenName: 'Karim', familyName: 'Benali' };
    expect(passwordProblem('Procuration-demo-2026', demo)).toBeNull();
    expect(passwordProblem('mon-aidant-2026-x', demo)).toContain('ni votre nom');
  });

  it.each([
    ['too short', 'Court-2026!', 'au moins 12'],
    ['too long', 'x'.repeat(129) + 'abc', 'au plus 128'],
    ['the family name', 'DURAND-2026-guichet', 'ni votre nom'],
    ['a given name without its accent', 'elodie-guichet-2026', 'ni votre nom'],
    ['the email’s local part', 'camille.durand!!', 'ni votre nom'],
    ['the email', 'x-camille.durand@mairie.example.fr', 'ni votre nom'],
    ['few distinct characters', 'abababababababab', 'répétitif'],
    ['a common password', 'password1234', 'parmi les plus courants'],
    ['a common password in capitals', 'QWERTY123456', 'parmi les plus courants'],
    ['a common word with digits and symbols added', 'Marseille2026!!', 'mot de passe courant'],
    ['a common password with a year around it', '2026-azerty-2026', 'mot de passe courant'],
  ])('refuses %s', (_label, password, message) => {
    expect(passwordProblem(password, owner)).toContain(message);
  });
});

describe('password hashing', () => {
  it('hashes with argon2id and verifies only the right password', async () => {
    const phc = await hashPassword('Procuration-demo-2026');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(phc, 'Procuration-demo-2026')).toBe(true);
    expect(await verifyPassword(phc, 'Procuration-demo-2027')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });
});
