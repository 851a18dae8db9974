/**
 * MikroORM configuration for tools (the app builds the same one: src/model.ts).
 * Needs DATABASE_URL; `npm run schema:sql` prints the DDL of the entities, the start of a new migration.
 */
import { ormConfig } from './src/model';

export default ormConfig({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/qunest' });
