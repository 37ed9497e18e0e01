import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Structure } from './structure.entity.js';
import { StructuresService } from './structures.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Structure])],
  providers: [StructuresService],
  exports: [StructuresService],
})
export class StructuresModule {}
