import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { requestFactsOf } from '../journal/request-facts.js';
import { FormInput } from '../web/form-input.js';
import { SignInService, type SignedIn } from './sign-in.service.js';

/** Reads and checks the three fields of the sign-in form (400 with field messages when malformed). */
export function readSignInForm(body: unknown): { email: string; password: string; totp: string } {
  const form = new FormInput(body);
  const email = form.email();
  const password = form.text('password', 'votre mot de passe', { max: 1024, trim: false });
  const totp = form.totp();
  form.done();
  return { email, password, totp };
}

/** passport-local with the email as user name, the TOTP code read from the same form. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'aidant-local') {
  constructor(private readonly signIn: SignInService) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false });
  }

  async validate(req: Request): Promise<SignedIn> {
    const { email, password, totp } = readSignInForm(req.body);
    return this.signIn.signIn(email, password, totp, requestFactsOf(req));
  }
}

@Injectable()
export class LocalAuthGuard extends AuthGuard('aidant-local') {
  // passport-local refuses missing fields before `validate` runs: say which ones, in French.
  override handleRequest<T>(error: unknown, user: T, _info: unknown, context: ExecutionContext): T {
    if (error) throw error;
    if (!user) readSignInForm(context.switchToHttp().getRequest<Request>().body);
    return user;
  }
}
