import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../common/paging';
import type { Deployment } from '../deployment.entity';
import { ASSEMBLER_LANGUAGES, type AssemblerLanguage } from '../languages';
import type { QuantumProgram } from '../quantum-program.entity';

export const MAX_CIRCUIT_LENGTH = 512 * 1024;

export class ProgramInputDto {
  @ApiProperty({
    description: 'Program text',
    example: 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0], q[1];\nmeasure q -> c;',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_CIRCUIT_LENGTH)
  quantumCircuit!: string;

  @ApiProperty({ enum: ASSEMBLER_LANGUAGES })
  @IsIn(ASSEMBLER_LANGUAGES)
  assemblerLanguage!: AssemblerLanguage;
}

export class CreateDeploymentDto {
  @ApiProperty({ maxLength: 200, example: 'bell' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ type: [ProgramInputDto], minItems: 1, maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ProgramInputDto)
  programs!: ProgramInputDto[];
}

/** PUT replaces the name and the whole list of programs. */
export class UpdateDeploymentDto extends CreateDeploymentDto {}

export class DeploymentQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the name, case-insensitive' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;
}

export class ProgramDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() quantumCircuit!: string;
  @ApiProperty({ enum: ASSEMBLER_LANGUAGES }) assemblerLanguage!: AssemblerLanguage;

  static from(p: QuantumProgram): ProgramDto {
    return { id: p.id, quantumCircuit: p.quantumCircuit, assemblerLanguage: p.assemblerLanguage };
  }
}

export class DeploymentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Owner (JWT sub); null for a public deployment' })
  deployedBy!: string | null;
  @ApiProperty({ format: 'date-time' }) deployedAt!: string;
  @ApiProperty({ type: [ProgramDto] }) programs!: ProgramDto[];

  static from(d: Deployment): DeploymentDto {
    return {
      id: d.id,
      name: d.name,
      deployedBy: d.deployedBy ?? null,
      deployedAt: d.deployedAt.toISOString(),
      programs: d.programs.isInitialized() ? d.programs.getItems().map((p) => ProgramDto.from(p)) : [],
    };
  }
}
