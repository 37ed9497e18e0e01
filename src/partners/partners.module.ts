import { Module } from '@nestjs/common';
import { PartnersService } from './partners.service.js';

/** Partner services registered by the operator (clients of the provider face). */
@Module({
  providers: [PartnersService],
  exports: [PartnersService],
})
export class PartnersModule {}
