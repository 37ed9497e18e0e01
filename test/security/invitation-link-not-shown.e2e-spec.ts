import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/clock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { browser, mailedLink, postForm, seedAidant, seedStructure, signIn } from '../support/aidants.js';

/**
 * An invitation's link is the key to an account (it sets the password and
 * the second factor): only the invited person gets it, by mail. The référent
 * who invites never sees it (in development, the mail outbox shows it).
 */
describe('the invitation link is not shown to the inviting référent', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let referente: ReturnType<typeof browser>;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    const vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    await seedAidant(t, { email: 'helene@vesoul.test', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
    referente = browser(t);
    expect((await signIn(referente, clock, 'helene@vesoul.test')).status).toBe(303);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers the référent without the link or its token, and mails the link to the person', async () => {
    const res = await postForm(referente, '/structure/aidants', '/structure/aidants/invitation', {
      email: 'noe@vesoul.test',
      givenName: 'Noé',
      familyName: 'Vidal',
      roles: 'aidant',
    });
    expect(res.status).toBe(200);
    const link = await mailedLink(t, 'noe@vesoul.test', 'invitation');
    const token = link.split('jeton=')[1]!;
    expect(res.text).not.toContain(token);
    expect(res.text).not.toContain('/aidant/invitation');
    expect(res.text).toContain('Une invitation a été envoyée par courriel');
    // The mailed link works: it is the one and only way in.
    const page = await browser(t).get(link).expect(200);
    expect(page.text).toContain('Activer votre compte');
  });
});
