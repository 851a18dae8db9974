import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ApiModule } from './app.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { hardenHttp } from './common/http-hardening';
import { createValidationPipe, RejectNulPipe } from './common/validation';
import type { AppConfig } from './config/app-config';

/** Builds the HTTP application (API under /api, OpenAPI at /api/docs) without listening. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  hardenHttp(app);
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: config.bodyLimitBytes });
  app.setGlobalPrefix('api');
  app.useGlobalPipes(new RejectNulPipe(), createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  const openapi = new DocumentBuilder()
    .setTitle('Qunest')
    .setDescription('Run quantum programs as jobs on quantum devices and follow them live.')
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openapi), {
    jsonDocumentUrl: 'api/docs/openapi.json',
  });
  return app;
}
