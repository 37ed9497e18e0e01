import { describe, expect, it } from '@jest/globals';
import { passwordProblem } from './password-policy.js';
import { hashPassword, verifyPassword } from './password-hasher.js';

const owner = { email: 'camille.durand@mairie.example.fr', givenName: 'Élodie Camille', familyName: 'Durand' };

describe('password policy', () => {
  it.each(['Procuration-demo-2026', 'correct horse battery staple', 'Vingt-deux v’là les flics'])(
    'accepts %j',
    (password) => {
      expect(passwordProblem(password, owner)).toBeNull();
    },
  );

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
