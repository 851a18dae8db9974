import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { MAX_CIRCUIT_LENGTH } from '../../deployments/dto/deployment.dto';
import { languageRefusal, UPLOAD_LANGUAGES, type UploadLanguage } from '../../deployments/languages';
import type { Translation } from '../../quantum';

const languageMessage = (args: { property: string; value: unknown }) =>
  `${args.property} ${languageRefusal(args.value)}`;

/** POST /api/translations: a program and the languages to translate it from and to. */
export class TranslateDto {
  @ApiProperty({
    description: 'Program text in the language `from`',
    maxLength: MAX_CIRCUIT_LENGTH,
    example: 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0], q[1];\nmeasure q -> c;',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_CIRCUIT_LENGTH)
  quantumCircuit!: string;

  @ApiProperty({
    enum: UPLOAD_LANGUAGES,
    example: 'QASM2',
    description: 'Language of quantumCircuit; one the engine reads (GET /api/translations/languages: read), else 422',
  })
  @IsIn(UPLOAD_LANGUAGES, { message: languageMessage })
  from!: UploadLanguage;

  @ApiProperty({
    enum: UPLOAD_LANGUAGES,
    example: 'QASM3',
    description:
      'Language to write the program in; one the engine writes (GET /api/translations/languages: write), else 422',
  })
  @IsIn(UPLOAD_LANGUAGES, { message: languageMessage })
  to!: UploadLanguage;
}

/** The translated program. */
export class TranslationDto {
  @ApiProperty({ enum: UPLOAD_LANGUAGES, description: 'The language of quantumCircuit (the request’s `to`)' })
  language!: string;

  @ApiProperty({
    description:
      'The program in `language`, with the same distribution as the one sent (user gates inlined, loops unrolled where the target has none)',
  })
  quantumCircuit!: string;

  @ApiProperty({
    type: [String],
    description: 'What the translation had to change, one sentence each ("ccx decomposed into cx and u3")',
  })
  warnings!: string[];

  static from(t: Translation): TranslationDto {
    return { language: t.language, quantumCircuit: t.quantumCircuit, warnings: [...t.warnings] };
  }
}

/** GET /api/translations/languages: which languages the API knows, and which of them the engine reads and writes. */
export class TranslationLanguagesDto {
  @ApiProperty({
    enum: UPLOAD_LANGUAGES,
    isArray: true,
    description: 'Every language a program may be uploaded in or translated from and to',
  })
  languages!: string[];

  @ApiProperty({
    enum: UPLOAD_LANGUAGES,
    isArray: true,
    description: 'Languages the engine reads: valid `from` values, parsed at upload',
  })
  read!: string[];

  @ApiProperty({ enum: UPLOAD_LANGUAGES, isArray: true, description: 'Languages the engine writes: valid `to` values' })
  write!: string[];
}
