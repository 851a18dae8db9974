import { Module } from '@nestjs/common';
import { DEFAULT_REALTIME_LIMITS, REALTIME_LIMITS, RealtimeGateway } from './realtime.gateway';
import { RealtimeSnapshots } from './realtime-snapshots';

/**
 * Live updates over socket.io: the gateway, its snapshots, and the relay of committed domain events
 * to subscribers. Needs the global AuthService and DomainEventBus and MikroORM's EntityManager.
 */
@Module({
  providers: [
    RealtimeGateway,
    RealtimeSnapshots,
    { provide: REALTIME_LIMITS, useFactory: () => ({ ...DEFAULT_REALTIME_LIMITS }) },
  ],
  exports: [RealtimeGateway],
})
export class RealtimeModule {}
