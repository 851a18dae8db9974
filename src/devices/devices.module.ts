import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { DevicesController, ProvidersController } from './devices.controller';
import { DevicesService } from './devices.service';

@Module({
  controllers: [ProvidersController, DevicesController],
  providers: [DevicesService],
  exports: [DevicesService],
})
export class DevicesModule implements OnApplicationBootstrap {
  constructor(private readonly devices: DevicesService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.devices.seed();
  }
}
