import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import type { NoiseModel } from '../../quantum';
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

/** A noise model as the API shows and takes it (docs/noise.md); every field required. */
export class ReadoutErrorDto {
  @ApiProperty({ minimum: 0, maximum: 0.49, description: 'P(read 1 | qubit in |0>)', example: 0.02 }) p01!: number;
  @ApiProperty({ minimum: 0, maximum: 0.49, description: 'P(read 0 | qubit in |1>)', example: 0.04 }) p10!: number;
}

export class IdleNoiseDto {
  @ApiProperty({
    minimum: -Math.PI,
    maximum: Math.PI,
    description: 'Coherent detuning: Rz(detuning) radians per layer on each waiting qubit (what dd cancels)',
    example: 0.0126,
  })
  detuning!: number;
  @ApiProperty({
    minimum: 0,
    maximum: 1,
    description: 'Amplitude damping of a waiting qubit per layer',
    example: 0.0003,
  })
  amplitudeDamping!: number;
  @ApiProperty({ minimum: 0, maximum: 1, description: 'Phase damping of a waiting qubit per layer', example: 0.0004 })
  phaseDamping!: number;
}

export class NoiseModelDto {
  @ApiProperty({ minimum: 0, maximum: 1, description: 'Depolarizing rate after each one-qubit gate', example: 0.001 })
  oneQubitDepolarizing!: number;
  @ApiProperty({
    minimum: 0,
    maximum: 1,
    description: 'Depolarizing rate after each gate on two or more qubits (over all its qubits)',
    example: 0.01,
  })
  twoQubitDepolarizing!: number;
  @ApiProperty({
    minimum: 0,
    maximum: 1,
    description: 'Amplitude damping (T1-like) of each qubit of a gate, after it',
    example: 0.001,
  })
  amplitudeDamping!: number;
  @ApiProperty({
    minimum: 0,
    maximum: 1,
    description: 'Phase damping (T2-like) of each qubit of a gate, after it',
    example: 0.002,
  })
  phaseDamping!: number;
  @ApiProperty({ type: ReadoutErrorDto }) readoutError!: ReadoutErrorDto;
  @ApiPropertyOptional({
    type: IdleNoiseDto,
    description:
      'Idle noise of the qubits that wait in a layer of the (ALAP) schedule; absent: none (docs/noise.md). dd needs a detuning',
  })
  idle?: IdleNoiseDto;
}

export class UpdateDeviceDto {
  @ApiPropertyOptional({ enum: DEVICE_STATUSES })
  @IsOptional()
  @IsIn(DEVICE_STATUSES)
  status?: DeviceStatus;

  @ApiPropertyOptional({
    type: NoiseModelDto,
    description:
      "A noisy device's new noise model (admins), whole; 422 naming the first bad field (e.g. noiseModel.readoutError.p01)",
  })
  @IsOptional()
  @IsObject()
  noiseModel?: NoiseModel;
}

export class DeviceDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() numQubits!: number;
  @ApiProperty() isSimulator!: boolean;
  @ApiProperty() isLocal!: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    description: "A remote device's id at its provider (a Braket device ARN, an IBM backend name)",
  })
  providerDeviceId!: string | null;
  @ApiProperty({ enum: DEVICE_STATUSES }) status!: DeviceStatus;
  @ApiProperty({
    type: NoiseModelDto,
    nullable: true,
    description: "A noisy simulated device's noise model (docs/noise.md); null for ideal and remote devices",
  })
  noiseModel!: NoiseModel | null;
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
      providerDeviceId: d.providerDeviceId ?? null,
      status: d.status,
      noiseModel: d.noiseModel ?? null,
      providerId: d.provider.id,
      providerName: d.provider.name,
      supportedLanguages: [...d.provider.supportedLanguages],
    };
  }
}

export class WaitTimesDto {
  @ApiProperty() average!: number;
  @ApiProperty() p50!: number;
  @ApiProperty() p95!: number;
}

/** GET /api/devices/:id: the device with its queue and waits. */
export class DeviceDetailDto extends DeviceDto {
  @ApiProperty({ description: 'Jobs waiting (READY) for the device here' }) queueLength!: number;
  @ApiProperty({
    nullable: true,
    type: WaitTimesDto,
    description: 'Seconds from submission to start of the jobs that started on it in the last 24 h (null without any)',
  })
  waitTimeSeconds!: WaitTimesDto | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "A remote device's queue at its provider, from its last live status (GET …/status); null when unknown",
  })
  providerQueueLength!: number | null;
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

export class SyncProviderDto {
  @ApiPropertyOptional({
    description:
      "The provider's credentials for this sync (an IBM Cloud API key, an IonQ key, ...); the server's are used when absent. Never stored.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  token?: string;
}

export class SyncOutcomeDto {
  @ApiProperty({ type: ProviderDto }) provider!: ProviderDto;
  @ApiProperty({ type: [String], description: 'Devices added' }) added!: string[];
  @ApiProperty({ type: [String], description: 'Devices whose qubits, kind, id or status changed' }) updated!: string[];
  @ApiProperty({ type: [String], description: 'Devices the provider no longer lists as online, set offline' })
  offline!: string[];
  @ApiProperty({ type: [String], description: 'Listed names a local device of this service already has (kept)' })
  skipped!: string[];
}

export class DeviceStatusDto {
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty({ enum: ['local', 'provider'] }) source!: 'local' | 'provider';
  @ApiProperty() online!: boolean;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      'Jobs waiting for the device: at its provider, or READY here for a local device; null when the provider does not tell',
  })
  queueLength!: number | null;
  @ApiProperty({ nullable: true, type: String }) message!: string | null;
  @ApiProperty({ format: 'date-time' }) checkedAt!: string;
  @ApiProperty({ nullable: true, type: Object, description: "The provider's own answer (null for local devices)" })
  provider!: Record<string, unknown> | null;
}

export class DeviceCalibrationDto {
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty({ enum: ['local', 'provider'] }) source!: 'local' | 'provider';
  @ApiProperty({
    nullable: true,
    type: Object,
    description: "The provider's calibration or properties data, as it gives it",
  })
  calibration!: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: String }) message!: string | null;
  @ApiProperty({ format: 'date-time' }) fetchedAt!: string;
}
