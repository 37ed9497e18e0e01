import { Module } from '@nestjs/common';
import { UsagersModule } from '../usagers/usagers.module.js';
import { NoticeAddressController } from './notice-address.controller.js';
import { NoticeAddressService } from './notice-address.service.js';
import { NoticeQueueService } from './notice-queue.service.js';
import { NoticesJob } from './notices.job.js';

/**
 * Notices to usagers and reminders to structures (docs/notices.md). It sits
 * above mandates and provider and neither knows it: notices are queued from
 * their journal entries, in the entry's transaction.
 */
@Module({
  imports: [UsagersModule],
  controllers: [NoticeAddressController],
  providers: [NoticeAddressService, NoticeQueueService, NoticesJob],
  exports: [NoticesJob],
})
export class NoticesModule {}
