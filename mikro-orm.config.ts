/**
 * MikroORM configuration for tools (the app builds the same one in src/database/orm-config.ts).
 * Needs DATABASE_URL; `npm run schema:sql` prints the DDL of the entities, the start of a new migration.
 */
import { buildOrmConfig } from './src/database/orm-config';

export default buildOrmConfig({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/qunest' });
