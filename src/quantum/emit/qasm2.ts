import type { Circuit, GateOp, Matrix2, Op } from '../circuit/circuit';
import { decompose, DecompositionTooLargeError, isCX } from '../circuit/decompose';
import { rx, ry, zyz } from '../circuit/gates';
import { TranslationError, type Emitted } from '../languages';
import { BitNames, formatNumber, NAMED_GATES, namesOf, phaseBetween, plural, QASM2_RESERVED } from './common';

/**
 * The OpenQASM 2 emitter: `OPENQASM 2.0; include "qelib1.inc";`, `qreg`/`creg`, and the circuit
 * decomposed into u3 and cx ({@link decompose}, exact). qelib1's gates have no global phase, so the
 * phase of each single-qubit gate is dropped: only at top level or inside a condition, where it is
 * a global phase; under a control the decomposition has made it exact. A single-qubit matrix is
 * written by name when it is one up to phase (x, h, s, t, rx(θ), ry(θ), u1(λ), ...), else as
 * u3(θ, φ, λ).
 *
 * Classical control: `if (c == v)` only when a ConditionalOp's clbits are exactly one whole
 * register in order (each op of its body conditioned on its own, as OpenQASM 2 does). Any other
 * classical construct is a {@link TranslationError} naming it.
 */
const LANGUAGE = 'QASM2';

/** A qelib1 call for a single-qubit matrix, and the global phase it leaves out: m = e^{i phase} call. */
export function qelib1Of(m: Matrix2): { call: string; phase: number } {
  for (const [name, g] of NAMED_GATES) {
    const phase = phaseBetween(m, g);
    if (phase !== undefined) return { call: name, phase };
  }
  const f = (x: number) => formatNumber(x);
  const { theta, phi, lambda, phase } = zyz(m);
  if (Math.abs(theta) < 1e-14) return { call: `u1(${f(phi + lambda)})`, phase };
  const px = phaseBetween(m, rx(theta));
  if (px !== undefined) return { call: `rx(${f(theta)})`, phase: px };
  const py = phaseBetween(m, ry(theta));
  if (py !== undefined) return { call: `ry(${f(theta)})`, phase: py };
  return { call: `u3(${f(theta)}, ${f(phi)}, ${f(lambda)})`, phase };
}

/** Names the first construct of `ops` that OpenQASM 2 cannot express (nested: inside a condition). */
function refuse(op: Op, nested: boolean): never {
  switch (op.kind) {
    case 'set':
    case 'measure-var':
      throw new TranslationError('classical variables', LANGUAGE, `a '${op.kind}' operation`);
    case 'branch':
      throw new TranslationError('if/else on a computed condition', LANGUAGE);
    case 'while':
      throw new TranslationError('while loops', LANGUAGE);
    case 'break':
    case 'continue':
      throw new TranslationError(`${op.kind} statements`, LANGUAGE);
    case 'end':
      throw new TranslationError('end statements', LANGUAGE);
    case 'dgate':
      throw new TranslationError('gates with angles computed per shot', LANGUAGE);
    case 'if':
      throw new TranslationError(nested ? 'nested conditions' : 'a condition on part of a register', LANGUAGE);
    default:
      throw new TranslationError(`'${op.kind}'`, LANGUAGE);
  }
}

class Qasm2Writer {
  readonly lines: string[] = [];
  private readonly qubits: BitNames;
  private readonly clbits: BitNames;
  /** The global phase dropped at top level (phases inside conditions are not observable either). */
  droppedPhase = 0;
  private nested = false;

  constructor(circuit: Circuit) {
    const names = namesOf(circuit, QASM2_RESERVED, true);
    this.qubits = names.qubits;
    this.clbits = names.clbits;
    this.lines.push('OPENQASM 2.0;', 'include "qelib1.inc";');
    for (const r of this.qubits.regs) this.lines.push(`qreg ${r.name}[${r.size}];`);
    for (const r of this.clbits.regs) this.lines.push(`creg ${r.name}[${r.size}];`);
  }

  private q(i: number): string {
    return this.qubits.ref(i);
  }

  /** One statement, or undefined for ops that write nothing (barrier without qubits, gphase). */
  private statement(op: Op): string | undefined {
    switch (op.kind) {
      case 'gate': {
        if (isCX(op)) return `cx ${this.q(op.controls[0])}, ${this.q(op.target)};`;
        const g = op as GateOp;
        if (g.controls.length > 0) throw new Error('decomposition left a controlled gate');
        const { call, phase } = qelib1Of(g.matrix);
        if (!this.nested) this.droppedPhase += phase;
        return `${call} ${this.q(g.target)};`;
      }
      case 'measure':
        return `measure ${this.q(op.qubit)} -> ${this.clbits.ref(op.clbit)};`;
      case 'reset':
        return `reset ${this.q(op.qubit)};`;
      case 'barrier':
        return op.qubits.length ? `barrier ${op.qubits.map((q) => this.q(q)).join(', ')};` : undefined;
      case 'gphase':
        if (!this.nested) this.droppedPhase += op.theta;
        return undefined;
      default:
        return refuse(op, false);
    }
  }

  ops(ops: Op[]): void {
    for (const op of ops) {
      if (op.kind !== 'if') {
        const s = this.statement(op);
        if (s) this.lines.push(s);
        continue;
      }
      if (op.clbits.length === 0) {
        // The empty condition reads 0.
        if (op.value === 0) this.ops(op.body);
        continue;
      }
      const reg = this.clbits.wholeRegister(op.clbits);
      if (!reg) refuse(op, false);
      if (op.value < 0 || op.value >= 2 ** reg.size) continue; // never true
      const condBits = new Set(op.clbits);
      this.nested = true;
      op.body.forEach((inner, i) => {
        if (inner.kind === 'if') refuse(inner, true);
        if (inner.kind === 'barrier') return; // a barrier cannot be conditioned; it changes nothing
        if (inner.kind === 'measure' && condBits.has(inner.clbit) && i < op.body.length - 1) {
          throw new TranslationError(
            'a conditional body that measures into its own condition before other operations',
            LANGUAGE,
          );
        }
        const s = this.statement(inner);
        if (s) this.lines.push(`if (${reg.name} == ${op.value}) ${s}`);
      });
      this.nested = false;
    }
  }
}

/** Writes `circuit` as an OpenQASM 2 program (see the doc of this file). */
export function emitQasm2(circuit: Circuit): Emitted {
  let d;
  try {
    d = decompose(circuit);
  } catch (err) {
    if (err instanceof DecompositionTooLargeError) {
      throw new TranslationError('a circuit this large', LANGUAGE, err.message);
    }
    throw err;
  }
  const w = new Qasm2Writer(circuit);
  w.ops(d.ops);
  const warnings: string[] = [];
  const { multiControlled, controlled, swaps, negated } = d.stats;
  if (multiControlled) warnings.push(`${plural(multiControlled, 'multi-controlled gate')} decomposed into cx and u3`);
  if (controlled) warnings.push(`${plural(controlled, 'controlled gate')} other than cx decomposed into cx and u3`);
  if (swaps) warnings.push(`${plural(swaps, 'swap')} written as 3 cx${swaps > 1 ? ' each' : ''}`);
  if (negated) warnings.push(`${plural(negated, 'gate')} with negative controls written with x around the controls`);
  if (Math.abs(Math.sin(w.droppedPhase / 2)) > 1e-9) {
    warnings.push('the global phase dropped (qelib1 gates have none; it is not observable)');
  }
  return { text: `${w.lines.join('\n')}\n`, warnings };
}
