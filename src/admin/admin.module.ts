import { Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { contractModule, findWebRoot, serveStatic, socketIoClientFiles, type StaticHandler } from './static-files';

/**
 * Serves the admin UI (plain files in web/, no build step) at / when `serveAdminUi` is on.
 *
 * Nest puts every controller under the global prefix /api, so the files are served by a handler
 * on the underlying HTTP adapter instead. It is added in onModuleInit, which Nest runs after the
 * API routes are registered and before its 404 handler: API routes win, the files come next, and
 * anything else still gets the JSON 404. socket.io answers /socket.io before express sees it; the
 * page loads the socket.io browser client from /vendor/ (see socketIoClientFiles).
 */
@Module({})
export class AdminModule implements OnModuleInit {
  private readonly logger = new Logger(AdminModule.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (!this.config.serveAdminUi) return;
    const root = findWebRoot();
    if (!root) {
      this.logger.error(
        'SERVE_ADMIN_UI is on but web/index.html was not found next to package.json; the admin UI is not served',
      );
      return;
    }
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const instance = adapter.getInstance<{ use(handler: StaticHandler): void }>();
    instance.use(serveStatic(root, socketIoClientFiles(), contractModule()));
    this.logger.log(`serving the admin UI from ${root} at /`);
  }
}
