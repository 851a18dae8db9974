import { MikroORM } from '@mikro-orm/postgresql';
import { migrate } from '../src/database/database.module';
import { MIGRATIONS } from '../src/database/migrations';
import { ormConfig } from '../src/model';
import { freshDatabase } from './helpers/database';

/**
 * migrate() at start-up: a new database gets every migration; a database that has them all is left
 * as it is (one query, no lock, no migrator); one that lacks the last gets it.
 */
describe('migrate at start-up', () => {
  it('applies every migration to a new database, nothing to a migrated one, and a missing one when it is missing', async () => {
    const db = await freshDatabase();
    const orm = await MikroORM.init({ ...ormConfig({ url: db.url }), logger: () => undefined });
    const sql = orm.em.getConnection();
    const applied = async () =>
      (await sql.execute<{ name: string }[]>('select name from mikro_orm_migrations order by id')).map((r) => r.name);
    try {
      await migrate(orm, db.url);
      expect(await applied()).toEqual(MIGRATIONS.map((m) => m.name));
      const rowsBefore = await sql.execute<{ id: number; executed_at: Date }[]>(
        'select id, executed_at from mikro_orm_migrations order by id',
      );

      // a start with nothing to apply changes nothing
      await migrate(orm, db.url);
      expect(await sql.execute('select id, executed_at from mikro_orm_migrations order by id')).toEqual(rowsBefore);

      // the last migration undone (as a database from before it): the next start applies it again
      const last = MIGRATIONS[MIGRATIONS.length - 1].name;
      await orm.migrator.down({ to: MIGRATIONS[MIGRATIONS.length - 2].name });
      expect(await applied()).toEqual(MIGRATIONS.slice(0, -1).map((m) => m.name));
      await migrate(orm, db.url);
      expect(await applied()).toEqual(MIGRATIONS.map((m) => m.name));
      expect((await applied()).at(-1)).toBe(last);
    } finally {
      await orm.close(true);
      await db.drop();
    }
  }, 120_000);
});
