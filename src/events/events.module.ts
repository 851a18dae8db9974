import { Global, Module } from '@nestjs/common';
import { DomainEventBus } from './domain-event-bus';

/** The bus of committed domain events, in every process (API and workers). */
@Global()
@Module({ providers: [DomainEventBus], exports: [DomainEventBus] })
export class EventsModule {}
