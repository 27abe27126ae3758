import { Module } from '@nestjs/common';
import { MailOutboxRepository } from './mail-outbox.repository.js';
import { MailOutbox } from './mail-outbox.service.js';
import { MailWorker } from './mail-worker.service.js';

/** The mail outbox and its delivery worker (DESIGN.md "Mail"). Depends on the database only. */
@Module({
  providers: [MailOutboxRepository, MailOutbox, MailWorker],
  exports: [MailOutbox, MailWorker],
})
export class MailModule {}
