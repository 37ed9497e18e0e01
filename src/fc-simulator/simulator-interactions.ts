import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { SimulatedIdentity } from './simulator-identities.js';

type Render = (name: string, context: object) => string;

const CLAIM_LABELS: Record<string, string> = {
  given_name: 'Prénom(s)',
  family_name: 'Nom de naissance',
  preferred_username: 'Nom d’usage',
  birthdate: 'Date de naissance',
  gender: 'Sexe',
  birthplace: 'Lieu de naissance',
  birthcountry: 'Pays de naissance',
  email: 'Adresse électronique',
};

/** Outcome of a refused interaction, as FranceConnect sends it to the relying party. */
const ACCESS_DENIED = { error: 'access_denied', error_description: 'User auth aborted' };

class InteractionRefused extends Error {}

/**
 * The simulator's own sign-in (choose an identity) and consent pages, built
 * on oidc-provider's interaction API: the login and the grant are real, so
 * the provider applies its prompt policy (prompt=login, consent) as usual.
 */
export function mountInteractions(app: Express, provider: Provider, render: Render, identities: readonly SimulatedIdentity[], basePath: string): void {
  const path = `${basePath}/interaction/:uid`;
  const form = express.urlencoded({ extended: false, limit: '10kb' });
  const page = (req: Request, res: Response, view: string, context: object, step: 'login' | 'consent') =>
    res.type('html').send(render(view, { ...context, action: `${basePath}/interaction/${req.params.uid}/${step}` }));

  app.get(path, handle(render, async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    const clientName = await clientNameOf(provider, details.params.client_id);
    if (details.prompt.name === 'login') {
      return page(req, res, 'identities', { pageTitle: 'Choisir une identité', clientName, identities }, 'login');
    }
    if (details.prompt.name === 'consent') {
      const identity = identities.find((candidate) => candidate.id === details.session?.accountId);
      const scopes = String(details.params.scope ?? '').split(' ');
      const claims = scopes.filter((scope) => scope in CLAIM_LABELS).map((scope) => CLAIM_LABELS[scope]);
      return page(req, res, 'consent', { pageTitle: 'Transmettre vos informations', clientName, label: identity?.label, claims }, 'consent');
    }
    throw new InteractionRefused(`unexpected prompt ${details.prompt.name}`);
  }));

  app.post(`${path}/login`, form, handle(render, async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name !== 'login') throw new InteractionRefused('no sign-in is pending');
    const identity = identities.find((candidate) => candidate.id === req.body?.identity);
    if (!identity) throw new InteractionRefused('unknown identity');
    const result =
      identity.scenario === 'access_denied'
        ? ACCESS_DENIED
        : { login: { accountId: identity.id, acr: 'eidas1', remember: false } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }));

  app.post(`${path}/consent`, form, handle(render, async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !accountId) throw new InteractionRefused('no consent is pending');
    if (req.body?.decision !== 'continue') {
      await provider.interactionFinished(req, res, ACCESS_DENIED, { mergeWithLastSubmission: false });
      return;
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    if (!grant) throw new InteractionRefused('grant not found');
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }));
}

async function clientNameOf(provider: Provider, clientId: unknown): Promise<string> {
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  return client?.clientName ?? String(clientId);
}

/** Interaction failures (no interaction cookie, expired interaction, bad form) give the simulator's error page. */
function handle(render: Render, fn: (req: Request, res: Response) => Promise<unknown>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch((error: unknown) => {
      if (res.headersSent) return next(error);
      const description = error instanceof InteractionRefused ? error.message : 'interaction not found or expired';
      res.status(400).type('html').send(render('error', { pageTitle: 'Erreur', error: 'invalid_request', description }));
    });
  };
}
