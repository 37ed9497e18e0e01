import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CsrfGuard } from './csrf.js';
import { ErrorPageFilter } from './error-page.filter.js';
import { HomeController } from './home.controller.js';
import { InputGuard } from './input-guard.js';

/** The page shell: home page, layout, error pages (the one exception filter), input checks on every route, CSRF on every POST. */
@Module({
  controllers: [HomeController],
  providers: [
    { provide: APP_FILTER, useClass: ErrorPageFilter },
    // Input first: a refused value never reaches a guard or handler that reads it.
    { provide: APP_GUARD, useClass: InputGuard },
    { provide: APP_GUARD, useClass: CsrfGuard },
  ],
})
export class WebModule {}
