import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000Initial } from './Migration20261125000000Initial';
import { Migration20261125150000OutboxSeqInFlush } from './Migration20261125150000OutboxSeqInFlush';
import { Migration20261202000000LargeResults } from './Migration20261202000000LargeResults';
import { Migration20261202100000ImmutablePrograms } from './Migration20261202100000ImmutablePrograms';
import { Migration20261202120000IonqLanguage } from './Migration20261202120000IonqLanguage';
import { Migration20261202140000JobApi } from './Migration20261202140000JobApi';
import { Migration20261202150000Webhooks } from './Migration20261202150000Webhooks';
import { Migration20261202160000RemoteJobs } from './Migration20261202160000RemoteJobs';
import { Migration20261202170000QueueIndexes } from './Migration20261202170000QueueIndexes';
import { Migration20261202183000NoisyDevices } from './Migration20261202183000NoisyDevices';

/** Checked-in migrations, in order. Listed explicitly so that they run the same from dist/ and under jest. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261125000000Initial', class: Migration20261125000000Initial },
  { name: 'Migration20261125150000OutboxSeqInFlush', class: Migration20261125150000OutboxSeqInFlush },
  { name: 'Migration20261202000000LargeResults', class: Migration20261202000000LargeResults },
  { name: 'Migration20261202100000ImmutablePrograms', class: Migration20261202100000ImmutablePrograms },
  { name: 'Migration20261202120000IonqLanguage', class: Migration20261202120000IonqLanguage },
  { name: 'Migration20261202140000JobApi', class: Migration20261202140000JobApi },
  { name: 'Migration20261202150000Webhooks', class: Migration20261202150000Webhooks },
  { name: 'Migration20261202160000RemoteJobs', class: Migration20261202160000RemoteJobs },
  { name: 'Migration20261202170000QueueIndexes', class: Migration20261202170000QueueIndexes },
  { name: 'Migration20261202183000NoisyDevices', class: Migration20261202183000NoisyDevices },
];
