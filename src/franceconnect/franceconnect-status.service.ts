import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { assessFranceConnect, type CheckReport } from './franceconnect-check.js';
import { FranceConnectClient } from './franceconnect.client.js';

/** FranceConnect unusable at start in production: the one line `npm start` prints before exiting. */
export class FranceConnectStartupError extends Error {
  override name = 'FranceConnectStartupError';
}

export type FranceConnectReachability = 'up' | 'down';

/** How long /health reuses its last look at FranceConnect (probes come every few seconds). */
const PROBE_CACHE_MS = 30_000;
const PROBE_TIMEOUT_MS = 2000;

/**
 * FranceConnect as a dependency: checked once at start (discovery and key
 * set against the configuration, one log line; production refuses to start
 * on a failure, other environments start and say so), then probed for
 * /health (reachable or not, never a reason to fail liveness).
 */
@Injectable()
export class FranceConnectStatusService {
  private readonly logger = new Logger('FranceConnect');
  private probe: { at: number; result: Promise<FranceConnectReachability> } | undefined;
  /** The start-up check's outcome and the line it logged. */
  startup: (CheckReport & { line: string }) | undefined;

  constructor(
    private readonly client: FranceConnectClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async checkAtStart(): Promise<CheckReport & { line: string }> {
    const issuer = this.client.issuer;
    const production = this.config.nodeEnv === 'production';
    let report: CheckReport;
    try {
      const { server, jwks } = await this.client.inspect();
      report = assessFranceConnect(server, jwks, { issuer, idTokenAlg: this.config.franceConnect.idTokenAlg, pkce: this.config.franceConnect.pkce });
    } catch (error) {
      report = { ok: false, problems: [`discovery or key set unreachable (${(error as Error).message})`], found: 'nothing' };
    }
    const line = report.ok
      ? `FranceConnect check passed: issuer ${issuer}; ${report.found}`
      : `FranceConnect check failed: issuer ${issuer}: ${report.problems.join('; ')}; found: ${report.found}; ${
          production ? 'refusing to start (NODE_ENV=production)' : `starting anyway (NODE_ENV=${this.config.nodeEnv}): FranceConnect round trips will fail until this is fixed`
        }`;
    this.startup = { ...report, line };
    if (report.ok) this.logger.log(line);
    else if (production) throw new FranceConnectStartupError(line);
    else this.logger.warn(line);
    return this.startup;
  }

  /** Whether FranceConnect's discovery document answers now (cached for 30 s). */
  reachability(): Promise<FranceConnectReachability> {
    const now = Date.now();
    if (!this.probe || now - this.probe.at >= PROBE_CACHE_MS) {
      this.probe = { at: now, result: this.fetchDiscovery() };
    }
    return this.probe.result;
  }

  private async fetchDiscovery(): Promise<FranceConnectReachability> {
    const url = `${this.client.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), headers: { accept: 'application/json' } });
      await response.body?.cancel();
      return response.ok ? 'up' : 'down';
    } catch {
      return 'down';
    }
  }
}
