import { Catch, Injectable } from '@nestjs/common';
import { FormPageFilter } from '../web/form-page.filter.js';
import { MandateWizardService } from './mandate-wizard.service.js';
import { RevocationConfirmationsService } from './revocation-confirmations.service.js';
import { loadWizardState } from './wizard-state.js';

const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/*
 * The mandate forms' refusals re-render their page from the services, so
 * these filters are applied by class (`@UseFilters(ChoiceFormFilter)`) and
 * get the services injected by the mandates module.
 */

/** Step 1 again, with the choice typed. */
@Catch()
@Injectable()
export class ChoiceFormFilter extends FormPageFilter {
  constructor(wizard: MandateWizardService) {
    super('mandates/views/nouveau.njk', async (req) => ({
      ...(await wizard.choiceForm(req.aidantActor!)),
      values: { demarches: list(req.body?.demarches), duree: req.body?.duree },
    }));
  }
}

/** The recap again (the declaration and the code are never shown back). */
@Catch()
@Injectable()
export class RecapFormFilter extends FormPageFilter {
  constructor(wizard: MandateWizardService) {
    super('mandates/views/recapitulatif.njk', (req) => wizard.recapPage(loadWizardState(req.session), req.aidantActor!));
  }
}

/** The renewal form again, with the choice typed. */
@Catch()
@Injectable()
export class RenewalFormFilter extends FormPageFilter {
  constructor(wizard: MandateWizardService) {
    super('mandates/views/renouvellement.njk', async (req) => ({
      ...(await wizard.renewalPage(req.aidantActor!, String(req.params.id))),
      values: { demarches: list(req.body?.demarches), duree: req.body?.duree },
    }));
  }
}

/** The revocation's confirmation page again, with the motif's error. */
@Catch()
@Injectable()
export class RevocationFormFilter extends FormPageFilter {
  constructor(confirmations: RevocationConfirmationsService) {
    super('mandates/views/revocation-confirmation.njk', async (req) => ({
      ...(await confirmations.forAidant(req.aidantActor!, String(req.params.id), req.body?.autorisation)),
      values: { motif: typeof req.body?.motif === 'string' ? req.body.motif : '' },
    }));
  }
}
