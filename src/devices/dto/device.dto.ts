import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { PageQueryDto } from '../../common/paging';
import { QueryBoolean } from '../../common/transforms';
import { DEVICE_STATUSES, type Device, type DeviceStatus } from '../device.entity';
import type { Provider } from '../provider.entity';

export class DeviceQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Provider name (e.g. LOCAL) or id' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  provider?: string;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  minQubits?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  isSimulator?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  isLocal?: boolean;
}

export class UpdateDeviceDto {
  @ApiProperty({ enum: DEVICE_STATUSES })
  @IsIn(DEVICE_STATUSES)
  status!: DeviceStatus;
}

export class DeviceDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() numQubits!: number;
  @ApiProperty() isSimulator!: boolean;
  @ApiProperty() isLocal!: boolean;
  @ApiProperty({ enum: DEVICE_STATUSES }) status!: DeviceStatus;
  @ApiProperty({ format: 'uuid' }) providerId!: string;
  @ApiProperty() providerName!: string;
  @ApiProperty({ type: [String] }) supportedLanguages!: string[];

  static from(d: Device): DeviceDto {
    return {
      id: d.id,
      name: d.name,
      numQubits: d.numQubits,
      isSimulator: d.isSimulator,
      isLocal: d.isLocal,
      status: d.status,
      providerId: d.provider.id,
      providerName: d.provider.name,
      supportedLanguages: [...d.provider.supportedLanguages],
    };
  }
}

export class ProviderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() withToken!: boolean;
  @ApiProperty({ type: [String] }) supportedLanguages!: string[];
  @ApiProperty({ type: [DeviceDto] }) devices!: DeviceDto[];

  static from(p: Provider): ProviderDto {
    return {
      id: p.id,
      name: p.name,
      withToken: p.withToken,
      supportedLanguages: [...p.supportedLanguages],
      devices: p.devices.isInitialized() ? p.devices.getItems().map((d) => DeviceDto.from(d)) : [],
    };
  }
}
