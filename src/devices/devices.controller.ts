import {
  applyDecorators,
  Body,
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import type { Principal } from '../auth/principal';
import { Page, page, PageOf, PageQueryDto } from '../common/paging';
import { DevicesService } from './devices.service';
import {
  DeviceCalibrationDto,
  DeviceDetailDto,
  DeviceDto,
  DeviceQueryDto,
  DeviceStatusDto,
  ProviderDto,
  SyncOutcomeDto,
  SyncProviderDto,
  UpdateDeviceDto,
} from './dto/device.dto';

/** The answers of an operation that asks a provider, besides its 200. */
function AsksProvider(): MethodDecorator {
  return applyDecorators(
    ApiResponse({
      status: 422,
      description: 'Credentials missing or refused by the provider (names `token` or the setting)',
    }),
    ApiResponse({
      status: 502,
      description: 'The provider answered with an error of its own (its words in the message)',
    }),
    ApiResponse({
      status: 503,
      description: 'The provider could not be reached, or asked us to wait (retryAfterSeconds)',
    }),
  );
}

/** A page of GET /api/providers. */
export class ProviderPageDto extends PageOf(ProviderDto) {}

/** A page of GET /api/devices. */
export class DevicePageDto extends PageOf(DeviceDto) {}

@ApiTags('providers')
@ApiBearerAuth()
@Controller('providers')
export class ProvidersController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  @ApiOperation({ summary: 'List providers with their devices' })
  @ApiOkResponse({ type: ProviderPageDto })
  async list(@Query() q: PageQueryDto): Promise<Page<ProviderDto>> {
    const [items, total] = await this.devices.listProviders(q.limit, q.offset);
    return page(
      items.map((p) => ProviderDto.from(p)),
      total,
      q,
    );
  }

  @Get(':id')
  @ApiOkResponse({ type: ProviderDto })
  async get(@Param('id') id: string): Promise<ProviderDto> {
    return ProviderDto.from(await this.devices.getProvider(id));
  }

  @Post(':id/sync')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Ask a remote provider for its devices and upsert them (admins); with `token`, or the server's credentials",
  })
  @ApiOkResponse({ type: SyncOutcomeDto })
  @AsksProvider()
  async sync(
    @Param('id') id: string,
    @Body() dto: SyncProviderDto,
    @CurrentUser() user: Principal,
  ): Promise<SyncOutcomeDto> {
    if (!user.isAdmin) throw new ForbiddenException("only admins may sync a provider's devices");
    const outcome = await this.devices.sync(id, dto.token ?? null);
    return { provider: ProviderDto.from(await this.devices.getProvider(id)), ...outcome };
  }
}

@ApiTags('devices')
@ApiBearerAuth()
@Controller('devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  @ApiOperation({ summary: 'List devices (filters: provider, minQubits, isSimulator, isLocal)' })
  @ApiOkResponse({ type: DevicePageDto })
  async list(@Query() q: DeviceQueryDto): Promise<Page<DeviceDto>> {
    const [items, total] = await this.devices.listDevices(q);
    return page(
      items.map((d) => DeviceDto.from(d)),
      total,
      q,
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'A device, with its queue here and the waits of its jobs in the last 24 h' })
  @ApiOkResponse({ type: DeviceDetailDto })
  async get(@Param('id') id: string): Promise<DeviceDetailDto> {
    const device = await this.devices.getDevice(id);
    return { ...DeviceDto.from(device), ...(await this.devices.queueStats(device)) };
  }

  @Get(':id/status')
  @ApiOperation({
    summary:
      "A device's live status: from its provider for a remote device (cached briefly), from here for a local one",
  })
  @ApiOkResponse({ type: DeviceStatusDto })
  @AsksProvider()
  async status(@Param('id') id: string): Promise<DeviceStatusDto> {
    return this.devices.liveStatus(id);
  }

  @Get(':id/calibration')
  @ApiOperation({ summary: "A remote device's calibration (properties) data from its provider" })
  @ApiOkResponse({ type: DeviceCalibrationDto })
  @AsksProvider()
  async calibration(@Param('id') id: string): Promise<DeviceCalibrationDto> {
    return this.devices.calibration(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: "Set a device online or offline, or change a noisy device's noise model (admins)" })
  @ApiOkResponse({ type: DeviceDto })
  @ApiResponse({ status: 403, description: 'Not an admin' })
  @ApiResponse({
    status: 422,
    description: 'A bad noise model (names the field, e.g. noiseModel.twoQubitDepolarizing), or a device without one',
  })
  async update(
    @Param('id') id: string,
    @Body() dto: UpdateDeviceDto,
    @CurrentUser() user: Principal,
  ): Promise<DeviceDto> {
    if (!user.isAdmin) throw new ForbiddenException('only admins may change a device');
    return DeviceDto.from(await this.devices.update(id, dto));
  }
}
