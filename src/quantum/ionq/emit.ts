import type { Circuit, GateOp, Matrix2, Op } from '../circuit/circuit';
import { decompose, DecompositionTooLargeError, isCX, isX } from '../circuit/decompose';
import { rx, ry, zyz } from '../circuit/gates';
import { phaseBetween, plural } from '../emit/common';
import { TranslationError, type Emitted } from '../languages';
import { QIS_FIXED } from './gates';

/**
 * The IonQ JSON emitter (`IONQ`): an `ionq.circuit.v0` circuit in the `qis` gateset (IonQ API
 * v0.3; v0.4 takes the same object as a job's `input`). Single-qubit gates by name when they are
 * one up to global phase (x, y, z, h, s, si, t, ti, v, vi, rx, ry, rz), else rz · ry · rz; X with
 * any number of controls as `cnot` with `control`/`controls` (the only controlled gate IonQ
 * documents); swap as `swap`; any other controlled gate decomposed into cnot and rotations
 * ({@link decompose}, exact). Global phases are dropped (IonQ has none, and they are not
 * observable at top level, the only level an IonQ circuit has).
 *
 * IonQ measures every qubit at the end, qubit i into bit i. Measurements must be terminal: no gate
 * acts on a measured qubit afterwards, except as a control (a control commutes with the
 * measurement of its qubit, so the measurement moves to the end); reset (except at the start, where it does nothing and is dropped), conditions and classical computation are a
 * {@link TranslationError}. A circuit whose measurements are not exactly `measure q[i] -> c[i]`
 * for every qubit into one register is written with a warning saying so.
 */
const LANGUAGE = 'IONQ';

type IonqGate = Record<string, string | number | number[]>;

const NAMED = Object.entries(QIS_FIXED).filter(([n]) => n !== 'not');

/** IonQ gates for an uncontrolled single-qubit matrix, up to global phase. */
export function ionqSingle(m: Matrix2, target: number): IonqGate[] {
  for (const [name, g] of NAMED) if (phaseBetween(m, g) !== undefined) return [{ gate: name, target }];
  const { theta, phi, lambda } = zyz(m);
  const r = (x: number) => (Object.is(x, -0) ? 0 : x);
  if (Math.abs(theta) < 1e-14) return [{ gate: 'rz', target, rotation: r(phi + lambda) }];
  for (const t of [theta, -theta]) {
    if (phaseBetween(m, rx(t)) !== undefined) return [{ gate: 'rx', target, rotation: r(t) }];
    if (phaseBetween(m, ry(t)) !== undefined) return [{ gate: 'ry', target, rotation: r(t) }];
  }
  // U(θ, φ, λ) = e^{i(φ+λ)/2} Rz(φ) Ry(θ) Rz(λ): Rz(λ) first.
  const out: IonqGate[] = [];
  if (Math.abs(lambda) > 1e-15) out.push({ gate: 'rz', target, rotation: r(lambda) });
  out.push({ gate: 'ry', target, rotation: r(theta) });
  if (Math.abs(phi) > 1e-15) out.push({ gate: 'rz', target, rotation: r(phi) });
  return out;
}

function cnot(controls: number[], target: number): IonqGate {
  return controls.length === 1 ? { gate: 'cnot', control: controls[0], target } : { gate: 'cnot', controls, target };
}

/**
 * Refuses what IonQ cannot run; returns the measurements (all at top level) and the resets of
 * qubits nothing has touched yet (no-ops: qubits start in |0>), which are dropped.
 */
function check(ops: Op[]): { measurements: { qubit: number; clbit: number }[]; initialResets: Set<Op> } {
  const measured = new Set<number>();
  const touched = new Set<number>();
  const initialResets = new Set<Op>();
  const measurements: { qubit: number; clbit: number }[] = [];
  const touch = (qs: number[]) => {
    for (const q of qs) {
      touched.add(q);
      if (measured.has(q))
        throw new TranslationError('mid-circuit measurement', LANGUAGE, `qubit ${q} is used after it is measured`);
    }
  };
  for (const op of ops) {
    switch (op.kind) {
      // A control is diagonal: it commutes with a measurement of its qubit, so a measured qubit
      // may still control a gate (the measurement moves to the end, as IonQ makes it).
      case 'gate':
        touch([op.target]);
        op.controls.forEach((q) => touched.add(q));
        break;
      case 'swap':
        touch([op.a, op.b]);
        op.controls.forEach((q) => touched.add(q));
        break;
      case 'measure':
        touch([op.qubit]);
        measured.add(op.qubit);
        measurements.push({ qubit: op.qubit, clbit: op.clbit });
        break;
      case 'reset':
        if (touched.has(op.qubit))
          throw new TranslationError('reset', LANGUAGE, 'IonQ qubits are only reset at the start');
        initialResets.add(op);
        break;
      case 'if':
      case 'branch':
      case 'while':
      case 'break':
      case 'continue':
      case 'end':
        throw new TranslationError('classical control', LANGUAGE, `a '${op.kind}' operation`);
      case 'set':
      case 'measure-var':
        throw new TranslationError('classical variables', LANGUAGE, `a '${op.kind}' operation`);
      case 'dgate':
        throw new TranslationError('gates with angles computed per shot', LANGUAGE);
      default:
        break;
    }
  }
  return { measurements, initialResets };
}

/** Writes `circuit` as IonQ JSON (see the doc of this file). */
export function emitIonq(circuit: Circuit): Emitted {
  if (circuit.numQubits < 1) throw new TranslationError('a circuit without qubits', LANGUAGE);
  const { measurements, initialResets } = check(circuit.ops);
  const gates: IonqGate[] = [];
  let decomposed = 0;
  let negated = 0;
  let barriers = 0;
  const budget = { maxOperations: 10_000_000 };
  const single = (op: GateOp) => gates.push(...ionqSingle(op.matrix, op.target));
  for (const op of circuit.ops) {
    switch (op.kind) {
      case 'gate': {
        if (op.controls.length === 0) {
          single(op);
          break;
        }
        if (isX(op.matrix)) {
          const negs = op.controls.filter((_, i) => op.controlStates?.[i] === 0);
          if (negs.length) negated++;
          for (const q of negs) gates.push({ gate: 'x', target: q });
          gates.push(cnot(op.controls, op.target));
          for (const q of negs) gates.push({ gate: 'x', target: q });
          break;
        }
        decomposed++;
        let d;
        try {
          d = decompose({ ...circuit, ops: [op] }, 'u+cx', budget);
        } catch (err) {
          if (err instanceof DecompositionTooLargeError) throw new TranslationError('a circuit this large', LANGUAGE);
          throw err;
        }
        budget.maxOperations -= d.ops.length;
        for (const piece of d.ops) {
          if (isCX(piece)) gates.push(cnot((piece as GateOp).controls, (piece as GateOp).target));
          else if (piece.kind === 'gate') single(piece);
        }
        break;
      }
      case 'swap': {
        if (op.controls.length === 0) {
          gates.push({ gate: 'swap', targets: [op.a, op.b] });
          break;
        }
        decomposed++;
        const d = decompose({ ...circuit, ops: [op] }, 'u+cx', budget);
        for (const piece of d.ops) {
          if (isCX(piece)) gates.push(cnot((piece as GateOp).controls, (piece as GateOp).target));
          else if (piece.kind === 'gate') single(piece);
        }
        break;
      }
      case 'barrier':
        barriers++;
        break;
      default:
        break; // gphase (dropped), measure (IonQ measures at the end)
    }
  }
  const n = circuit.numQubits;
  const warnings: string[] = [];
  if (decomposed) warnings.push(`${plural(decomposed, 'controlled gate')} decomposed into cnot and rotations`);
  if (negated) warnings.push(`${plural(negated, 'gate')} with negative controls written with x around the controls`);
  if (barriers) warnings.push(`${plural(barriers, 'barrier')} dropped (IonQ circuits have none)`);
  if (initialResets.size) {
    warnings.push(`${plural(initialResets.size, 'reset')} at the start dropped (qubits start in |0>)`);
  }
  const reg = circuit.cregs.length === 1 ? circuit.cregs[0] : undefined;
  const standard =
    reg !== undefined &&
    reg.size === n &&
    circuit.numClbits === n &&
    measurements.length === n &&
    measurements.every((m) => m.clbit === m.qubit);
  if (!standard) {
    warnings.push(
      measurements.length === 0
        ? `the circuit measures nothing; IonQ measures all ${plural(n, 'qubit')} at the end (qubit i into bit i)`
        : `IonQ measures all ${plural(n, 'qubit')} at the end, qubit i into bit i of one register: the circuit's own ${plural(measurements.length, 'measurement')} into its classical bits are not kept`,
    );
  }
  const body = gates.map((g) => `    ${JSON.stringify(g).replace(/,"/g, ', "').replace(/":/g, '": ')}`);
  const text = [
    '{',
    '  "format": "ionq.circuit.v0",',
    '  "gateset": "qis",',
    `  "qubits": ${n},`,
    `  "circuit": [${body.length ? `\n${body.join(',\n')}\n  ` : ''}]`,
    '}',
    '',
  ].join('\n');
  return { text, warnings };
}
