/**
 * Prints the SQL that creates the schema of the current entities (or, with --diff, the SQL that
 * brings the database at DATABASE_URL up to them): the starting point of a new migration.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../src/model';

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL');
  const orm = await MikroORM.init(ormConfig({ url }));
  try {
    const sql = process.argv.includes('--diff')
      ? await orm.schema.getUpdateSchemaSQL({ wrap: false })
      : await orm.schema.getCreateSchemaSQL({ wrap: false });
    process.stdout.write(sql + '\n');
  } finally {
    await orm.close();
  }
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
