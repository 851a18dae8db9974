import { Module } from '@nestjs/common';
import { TranslationsController } from './translations.controller';
import { TranslationsService } from './translations.service';

/** Translation of programs between languages through the engine (the use case, without HTTP). */
@Module({
  providers: [TranslationsService],
  exports: [TranslationsService],
})
export class TranslationsModule {}

/** The translations' HTTP API (API processes only). */
@Module({
  imports: [TranslationsModule],
  controllers: [TranslationsController],
})
export class TranslationsHttpModule {}
