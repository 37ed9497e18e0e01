import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ErrorPageFilter } from './error-page.filter.js';
import { HomeController } from './home.controller.js';

/** The page shell: home page, layout, error pages (the one exception filter). */
@Module({
  controllers: [HomeController],
  providers: [{ provide: APP_FILTER, useClass: ErrorPageFilter }],
})
export class WebModule {}
