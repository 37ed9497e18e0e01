import { Injectable } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { FranceConnectStatusService, type FranceConnectReachability } from '../franceconnect/franceconnect-status.service.js';

export interface HealthReport {
  status: 'ok' | 'error';
  database: 'up' | 'down';
  /** A dependency reported, never a reason to fail: without it, only FranceConnect round trips fail. */
  franceconnect: FranceConnectReachability;
}

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly franceConnect: FranceConnectStatusService,
  ) {}

  /** Asks the database for `SELECT 1` within a short delay; says whether FranceConnect answers. */
  async report(): Promise<HealthReport> {
    const franceconnect = this.franceConnect.reachability();
    try {
      await this.health.check([() => this.pingDatabase()]);
      return { status: 'ok', database: 'up', franceconnect: await franceconnect };
    } catch {
      // Terminus throws ServiceUnavailableException on any failed indicator.
      return { status: 'error', database: 'down', franceconnect: await franceconnect };
    }
  }

  private async pingDatabase() {
    const indicator = this.indicators.check('database');
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), PING_TIMEOUT_MS);
      return indicator.up();
    } catch {
      return indicator.down();
    }
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
