import { Catch, Injectable } from '@nestjs/common';
import { loadWizardState } from '../mandates/wizard-state.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { ConsentRequestsService } from './consent-requests.service.js';

const typed = (v: unknown) => (typeof v === 'string' ? v.slice(0, 254) : '');

/** The aidant's request form again, with what was typed (never the TOTP code). */
@Catch()
@Injectable()
export class ConsentRequestFormFilter extends FormPageFilter {
  constructor(requests: ConsentRequestsService) {
    super('remote-consent/views/a-distance.njk', (req) => ({
      ...requests.formPage(loadWizardState(req.session), req.aidantActor!),
      values: { nom: typed(req.body?.nom), prenom: typed(req.body?.prenom), naissance: typed(req.body?.naissance), email: typed(req.body?.email) },
    }));
  }
}

/** The code form again (the code typed is not shown back). */
@Catch()
@Injectable()
export class ConsentCodeFormFilter extends FormPageFilter {
  constructor() {
    super('remote-consent/views/code.njk', () => ({ pageTitle: 'Répondre à une demande de mandat' }));
  }
}
