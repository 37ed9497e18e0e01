import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';

/** Injection token of the validated, frozen configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Makes the configuration injectable everywhere: `@Inject(APP_CONFIG) config: AppConfig`. */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
