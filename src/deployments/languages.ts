/**
 * Languages a quantum program may be stored in (qunicorn-core's list). Which of them run depends on
 * the engine's front ends (quantum/ENGINE_LANGUAGES) and on each provider's backend.
 */
export const ASSEMBLER_LANGUAGES = ['QASM2', 'QASM3', 'QISKIT', 'BRAKET', 'QUIL', 'QRISP', 'PYTHON'] as const;
export type AssemblerLanguage = (typeof ASSEMBLER_LANGUAGES)[number];
