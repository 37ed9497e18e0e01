import { Global, Module, type DynamicModule } from '@nestjs/common';

/**
 * The application's notion of "now" for lockouts, session timeouts, TOTP
 * steps and invitation expiry. Tests replace it with a clock they move.
 * (Database timestamps such as the journal's `at` keep the database time.)
 */
export abstract class Clock {
  abstract now(): Date;

  nowMs(): number {
    return this.now().getTime();
  }
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that only moves when told to (tests). */
export class ManualClock extends Clock {
  constructor(private current = new Date()) {
    super();
  }

  now(): Date {
    return new Date(this.current.getTime());
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }

  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
}

@Global()
@Module({})
export class ClockModule {
  static forRoot(clock: Clock = new SystemClock()): DynamicModule {
    return { module: ClockModule, providers: [{ provide: Clock, useValue: clock }], exports: [Clock] };
  }
}
