import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { DevicesController, ProvidersController } from './devices.controller';
import { DevicesService } from './devices.service';

/**
 * Providers and devices. Seeds, in every process, the providers and devices that the registered
 * backends describe (the ProviderCatalog port, provided globally by the execution's BackendsModule).
 */
@Module({
  providers: [DevicesService],
  exports: [DevicesService],
})
export class DevicesModule implements OnApplicationBootstrap {
  constructor(private readonly devices: DevicesService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.devices.seed();
  }
}

/** The providers' and devices' HTTP API (API processes only). */
@Module({
  imports: [DevicesModule],
  controllers: [ProvidersController, DevicesController],
})
export class DevicesHttpModule {}
