import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config';

/** The validated {@link AppConfig}, injectable everywhere as `APP_CONFIG`. */
export const APP_CONFIG = Symbol('APP_CONFIG');

@Global()
@Module({})
export class QunestConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: QunestConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, isGlobal: true, load: [() => ({ qunest: config })] })],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
