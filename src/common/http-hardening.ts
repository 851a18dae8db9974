import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * Settings of the Express application that are not Nest's: no `X-Powered-By: Express` header on any
 * answer (API, OpenAPI documents, admin UI, 404s), since it only tells a visitor what to attack.
 * Called by createApp right after the application is made.
 */
export function hardenHttp(app: NestExpressApplication): void {
  app.disable('x-powered-by');
}
