import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import type { Principal } from '../auth/principal';
import { TranslateDto, TranslationDto, TranslationLanguagesDto } from './dto/translation.dto';
import { TranslationsService } from './translations.service';

@ApiTags('translations')
@ApiBearerAuth()
@Controller('translations')
export class TranslationsController {
  constructor(private readonly translations: TranslationsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Translate a program from one language to another through the engine (parse, then emit); nothing is stored or run',
  })
  @ApiOkResponse({ type: TranslationDto })
  @ApiBadRequestResponse({ description: '`from` or `to` is not a language of the API (the message names the field)' })
  @ApiUnprocessableEntityResponse({
    description:
      'The engine cannot read `from` or write `to` yet (field, and the languages it can); the program does not parse (field quantumCircuit, line, column, reason); the target cannot express a construct of the program (field to, construct); or a limit was reached (limit)',
  })
  @ApiTooManyRequestsResponse({ description: 'Four translations of yours are under way already' })
  async translate(@CurrentUser() user: Principal, @Body() dto: TranslateDto): Promise<TranslationDto> {
    return TranslationDto.from(await this.translations.translate(dto, user));
  }

  @Get('languages')
  @ApiOperation({ summary: 'The languages of the API, and which of them the engine reads (from) and writes (to)' })
  @ApiOkResponse({ type: TranslationLanguagesDto })
  languages(): TranslationLanguagesDto {
    return this.translations.languages();
  }
}
