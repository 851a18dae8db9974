import { Body, Controller, ForbiddenException, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import type { Principal } from '../auth/principal';
import { Page, page, PageOf, PageQueryDto } from '../common/paging';
import { DevicesService } from './devices.service';
import { DeviceDto, DeviceQueryDto, ProviderDto, UpdateDeviceDto } from './dto/device.dto';

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
  @ApiOkResponse({ type: DeviceDto })
  async get(@Param('id') id: string): Promise<DeviceDto> {
    return DeviceDto.from(await this.devices.getDevice(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Set a device online or offline (admins)' })
  @ApiOkResponse({ type: DeviceDto })
  async update(
    @Param('id') id: string,
    @Body() dto: UpdateDeviceDto,
    @CurrentUser() user: Principal,
  ): Promise<DeviceDto> {
    if (!user.isAdmin) throw new ForbiddenException('only admins may change a device');
    return DeviceDto.from(await this.devices.update(id, dto));
  }
}
