import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
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
  IsObject,
  ValidateNested,
} from 'class-validator';
import { PageOf, PageQueryDto } from '../../common/paging';
import type { Deployment } from '../deployment.entity';
import type { DeploymentSummary, ProgramSummary } from '../deployments.service';
import {
  ASSEMBLER_LANGUAGES,
  languageRefusal,
  UPLOAD_LANGUAGES,
  type AssemblerLanguage,
  type UploadLanguage,
} from '../languages';
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

  @ApiProperty({
    enum: UPLOAD_LANGUAGES,
    description:
      'Language of the program (docs/languages.md). Programs in a language the engine reads are parsed at upload; Python files (PYTHON, QRISP, *-PYTHON) are refused: Qunest never runs code',
  })
  @IsIn(UPLOAD_LANGUAGES, { message: (args) => `${args.property} ${languageRefusal(args.value)}` })
  assemblerLanguage!: UploadLanguage;
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
  // ValidateNested alone lets an element that is an array (of nothing) through.
  @IsObject({ each: true, message: 'each of programs must be an object {quantumCircuit, assemblerLanguage}' })
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

export class ProgramSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Order of the program in its deployment, from 0' }) position!: number;
  @ApiProperty({ enum: ASSEMBLER_LANGUAGES }) assemblerLanguage!: AssemblerLanguage;
  @ApiProperty({ description: 'Size of the program text in bytes (UTF-8)' }) sizeBytes!: number;

  static from(p: ProgramSummary): ProgramSummaryDto {
    return { id: p.id, position: p.position, assemblerLanguage: p.assemblerLanguage, sizeBytes: p.sizeBytes };
  }
}

/** A program with its text, as a single deployment shows it. */
export class ProgramDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Order of the program in its deployment, from 0' }) position!: number;
  @ApiProperty({ enum: ASSEMBLER_LANGUAGES }) assemblerLanguage!: AssemblerLanguage;
  @ApiProperty({ description: 'Size of the program text in bytes (UTF-8)' }) sizeBytes!: number;
  @ApiProperty() quantumCircuit!: string;

  static from(p: QuantumProgram): ProgramDto {
    return {
      id: p.id,
      position: p.position,
      assemblerLanguage: p.assemblerLanguage,
      sizeBytes: Buffer.byteLength(p.quantumCircuit, 'utf8'),
      quantumCircuit: p.quantumCircuit,
    };
  }
}

/** A deployment as lists show it: its programs as summaries, without their texts (GET /api/deployments/:id has them). */
export class DeploymentSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({
    description:
      'Revision of its programs: 1 at creation, one more with every PUT. A job runs the programs of the revision it was submitted with (its deploymentRevision).',
  })
  revision!: number;
  @ApiProperty({ nullable: true, type: String, description: 'Owner (JWT sub); null for a public deployment' })
  deployedBy!: string | null;
  @ApiProperty({ format: 'date-time' }) deployedAt!: string;
  @ApiProperty({ type: [ProgramSummaryDto] }) programs!: ProgramSummaryDto[];

  static from(d: DeploymentSummary): DeploymentSummaryDto {
    return {
      id: d.id,
      name: d.name,
      revision: d.revision,
      deployedBy: d.deployedBy,
      deployedAt: d.deployedAt.toISOString(),
      programs: d.programs.map((p) => ProgramSummaryDto.from(p)),
    };
  }
}

/** A page of GET /api/deployments. */
export class DeploymentSummaryPageDto extends PageOf(DeploymentSummaryDto) {}

/** A deployment with the full texts of its current programs (the summary's fields otherwise). */
export class DeploymentDto extends OmitType(DeploymentSummaryDto, ['programs'] as const) {
  @ApiProperty({ type: [ProgramDto] }) programs!: ProgramDto[];

  static from(d: Deployment): DeploymentDto {
    return {
      id: d.id,
      name: d.name,
      revision: d.revision,
      deployedBy: d.deployedBy ?? null,
      deployedAt: d.deployedAt.toISOString(),
      programs: d.programs.isInitialized() ? d.programs.getItems().map((p) => ProgramDto.from(p)) : [],
    };
  }
}
