import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000Initial } from './Migration20261125000000Initial';

/** Checked-in migrations, in order. Listed explicitly so that they run the same from dist/ and under jest. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261125000000Initial', class: Migration20261125000000Initial },
];
