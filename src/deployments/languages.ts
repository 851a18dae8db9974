/**
 * The languages of quantum programs, as the API names them (qunicorn-core's `assemblerLanguage`).
 * Which of them the engine reads or writes is the engine's registry (quantum/ENGINE_LANGUAGES,
 * EMITTED_LANGUAGES); which a device runs is its provider's `supportedLanguages`. docs/languages.md
 * describes each.
 */

/**
 * The languages a program may be uploaded in, and translated from or to (POST /api/translations).
 * Each is program text that the engine reads without running anything (no Python interpreter: the
 * builder-code languages QISKIT and BRAKET are read as a documented subset of their syntax).
 */
export const UPLOAD_LANGUAGES = ['QASM2', 'QASM3', 'QUIL', 'QISKIT', 'BRAKET', 'IONQ'] as const;
export type UploadLanguage = (typeof UPLOAD_LANGUAGES)[number];

/**
 * The languages a stored program may be in (the `assembler_language` column and its check
 * constraint): those of {@link UPLOAD_LANGUAGES}, and QRISP and PYTHON, which uploads accepted
 * before Migration20261202120000IonqLanguage. Rows in those two stay readable (a job that tries to
 * run one ends in ERROR naming the language); no new program is stored in them.
 */
export const ASSEMBLER_LANGUAGES = [...UPLOAD_LANGUAGES, 'QRISP', 'PYTHON'] as const;
export type AssemblerLanguage = (typeof ASSEMBLER_LANGUAGES)[number];

const NEVER_RUNS = 'Python files that qunicorn-core executes; Qunest never runs code (no Python interpreter, no eval)';

/**
 * Names that an upload or a translation refuses, with what to use instead: qunicorn-core's names for
 * Python files it executes (`*-PYTHON`), and QRISP and PYTHON, which would need the same.
 */
export const REFUSED_LANGUAGES: Readonly<Record<string, string>> = {
  'QISKIT-PYTHON': `QISKIT-PYTHON programs are ${NEVER_RUNS}: store Qiskit builder code as QISKIT (a documented subset is read without running it), or export it with qiskit.qasm3.dumps and store it as QASM3`,
  'BRAKET-PYTHON': `BRAKET-PYTHON programs are ${NEVER_RUNS}: store Braket builder code as BRAKET (a documented subset is read without running it), or export it with circuit.to_ir(IRType.OPENQASM) and store it as QASM3`,
  'QUIL-PYTHON': `QUIL-PYTHON programs are ${NEVER_RUNS}: store pyQuil builder code as QUIL (a documented subset is read as the Quil it builds, without running it), or the Quil text itself (print(program.out()))`,
  'QRISP-PYTHON': `QRISP-PYTHON programs are ${NEVER_RUNS}: export the compiled circuit as OpenQASM (qs.compile().qasm()) and store it as QASM2`,
  'PYTHON-PYTHON': `PYTHON-PYTHON programs are ${NEVER_RUNS}: store the circuit it builds as OpenQASM (QASM2 or QASM3), Quil (QUIL) or IonQ JSON (IONQ)`,
  QRISP: `QRISP programs are Python code, and Qunest never runs code: export the compiled circuit as OpenQASM (qs.compile().qasm()) and store it as QASM2`,
  PYTHON: `PYTHON programs are code, and Qunest never runs code: store the circuit it builds as OpenQASM (QASM2 or QASM3), Quil (QUIL) or IonQ JSON (IONQ)`,
};

/**
 * Why `value` is not a language of {@link UPLOAD_LANGUAGES}, as the end of a sentence that starts
 * with the field's name: what to use instead for a refused name, the list otherwise.
 */
export function languageRefusal(value: unknown): string {
  const advice = typeof value === 'string' && Object.hasOwn(REFUSED_LANGUAGES, value) ? REFUSED_LANGUAGES[value] : '';
  const list = `must be one of ${UPLOAD_LANGUAGES.join(', ')}`;
  return advice ? `${list}: ${advice}` : list;
}
