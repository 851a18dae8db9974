/** Languages a quantum program may be stored in (qunicorn-core's list). Only some can run today. */
export const ASSEMBLER_LANGUAGES = ['QASM2', 'QASM3', 'QISKIT', 'BRAKET', 'QUIL', 'QRISP', 'PYTHON'] as const;
export type AssemblerLanguage = (typeof ASSEMBLER_LANGUAGES)[number];

/** Languages whose programs are parsed (and so validated) when a deployment is stored. */
export const PARSED_LANGUAGES: readonly AssemblerLanguage[] = ['QASM2', 'QASM3'];
