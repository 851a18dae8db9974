import { Migration } from '@mikro-orm/migrations';

/**
 * Programs may be stored in IONQ (IonQ's JSON circuit format). QRISP and PYTHON stay allowed in the
 * column for rows stored before, though uploads refuse them now (src/deployments/languages.ts).
 */
export class Migration20261202120000IonqLanguage extends Migration {
  override up(): void {
    this.addSql(`alter table "quantum_program" drop constraint if exists "quantum_program_assembler_language_check";`);
    this.addSql(
      `alter table "quantum_program" add constraint "quantum_program_assembler_language_check" check ("assembler_language" in ('QASM2', 'QASM3', 'QUIL', 'QISKIT', 'BRAKET', 'IONQ', 'QRISP', 'PYTHON'));`,
    );
  }

  override down(): void {
    // IONQ programs cannot be kept under the old constraint, and deleting them would take jobs'
    // programs away: the down migration stops instead.
    this.addSql(
      `do $$ begin if exists (select 1 from "quantum_program" where "assembler_language" = 'IONQ') then raise exception 'quantum_program holds IONQ programs; delete them before migrating down'; end if; end $$;`,
    );
    this.addSql(`alter table "quantum_program" drop constraint if exists "quantum_program_assembler_language_check";`);
    this.addSql(
      `alter table "quantum_program" add constraint "quantum_program_assembler_language_check" check ("assembler_language" in ('QASM2', 'QASM3', 'QISKIT', 'BRAKET', 'QUIL', 'QRISP', 'PYTHON'));`,
    );
  }
}
