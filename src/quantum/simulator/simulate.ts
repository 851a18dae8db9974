import type { Circuit, Register } from '../circuit/circuit';
import { SimulationAbortedError, SimulationInputError, SimulationLimitError } from './errors';
import { applyTracked, freshSupport, runUnitaries, type Support, supportFixed } from './interpreter';
import { u3 } from '../circuit/gates';
import { bitOf, type ClassicalState } from './classical';
import {
  clbitSources,
  compile,
  hasMeasurement,
  type Instr,
  measurementsAreTerminal,
  OP_DYNAMIC_GATE,
  OP_END,
  OP_GOTO,
  OP_JUMP_IF_FALSE,
  OP_JUMP_UNLESS,
  OP_MEASURE,
  OP_MEASURE_VAR,
  OP_RESET,
  OP_SET,
  OP_UNITARY,
  type Program,
} from './program';
import { randomSeed, Rng, sortedUniforms } from './random';
import {
  applyScale,
  availableMemoryBytes,
  checkMemory,
  collapse,
  HARD_MAX_QUBITS,
  norm2,
  pauliSum,
  qubitProbabilities,
  sampleSorted,
  stateBytes,
  StateVector,
} from './statevector';
import type {
  AbortLike,
  CountsResult,
  ProbabilitiesResult,
  QuasiDistResult,
  Observable,
  RegisterInfo,
  SamplingMode,
  SimulateOptions,
  SimulationRequest,
  SimulationResult,
  ValueAndVarianceResult,
} from './types';

export const MAX_SHOTS = 10_000_000;
/** At most this many saved branch states in per-shot mode (besides the prefix and the working state)... */
const MAX_SNAPSHOTS = 64;
/** ...and at most this many bytes for them: large states replay branches instead (memory stays ~2x). */
const SNAPSHOT_BUDGET_BYTES = 128 * 2 ** 20;
/**
 * Most loop iterations (back edges of `while` loops, `continue` included) one trajectory may take
 * before the simulation is refused: a per-shot loop that never ends must not hold a thread.
 */
export const MAX_LOOP_ITERATIONS = 1_000_000;

/**
 * Outcomes of the shots → number of shots. The key is the clbits read as an integer (clbit 0 least
 * significant) when there are at most NUMERIC_CLBITS of them, else a '0'/'1' string (clbit 0 first).
 */
type Outcomes = Map<number | string, number>;
const NUMERIC_CLBITS = 30;

function outcomeKey(clbits: Uint8Array): number | string {
  if (clbits.length > NUMERIC_CLBITS) return clbits.join('');
  let v = 0;
  for (let c = 0; c < clbits.length; c++) v |= clbits[c] << c;
  return v;
}

/**
 * The checks every way of running a request shares (this simulator, the noisy engine, cutting):
 * type, shots and seed. Throws SimulationInputError.
 */
export function checkRunSettings(req: Pick<SimulationRequest, 'type' | 'shots' | 'seed'>): void {
  if (!['RUNNER', 'SAMPLER', 'ESTIMATOR'].includes(req.type)) {
    throw new SimulationInputError(`type must be RUNNER, SAMPLER or ESTIMATOR, not ${String(req.type)}`);
  }
  if (!Number.isInteger(req.shots) || req.shots < 1 || req.shots > MAX_SHOTS) {
    throw new SimulationInputError(`shots must be an integer from 1 to ${MAX_SHOTS}, not ${String(req.shots)}`);
  }
  if (req.seed !== undefined && (!Number.isInteger(req.seed) || req.seed < 0 || req.seed >= 2 ** 32)) {
    throw new SimulationInputError(`seed must be an integer from 0 to 2^32-1, not ${String(req.seed)}`);
  }
}

function validate(req: SimulationRequest): void {
  if (req === null || typeof req !== 'object') throw new SimulationInputError('request must be an object');
  checkRunSettings(req);
  if (!Number.isInteger(req.maxQubits) || req.maxQubits < 0) {
    throw new SimulationInputError(`maxQubits must be a non-negative integer, not ${String(req.maxQubits)}`);
  }
  if (req.maxMemoryBytes !== undefined && !(req.maxMemoryBytes > 0)) {
    throw new SimulationInputError(`maxMemoryBytes must be positive, not ${String(req.maxMemoryBytes)}`);
  }
  const c = req.circuit;
  if (!c || !Number.isInteger(c.numQubits) || c.numQubits < 0 || !Number.isInteger(c.numClbits) || c.numClbits < 0) {
    throw new SimulationInputError('circuit must have non-negative integer numQubits and numClbits');
  }
  if (!Array.isArray(c.ops)) throw new SimulationInputError('circuit.ops must be an array');
  const limit = Math.min(req.maxQubits, HARD_MAX_QUBITS);
  if (c.numQubits > limit) {
    const whose = req.maxQubits > HARD_MAX_QUBITS ? "the simulator's maximum" : "the device's maximum";
    throw new SimulationLimitError(`circuit has ${c.numQubits} qubits, more than the limit of ${limit} (${whose})`);
  }
}

/** Non-decreasing fraction reports in [0, 1]. */
function progressReporter(onProgress?: (fraction: number) => void): (fraction: number) => void {
  if (!onProgress) return () => {};
  let last = -1;
  return (f) => {
    const v = Math.min(1, Math.max(0, f));
    if (v > last) {
      last = v;
      onProgress(v);
    }
  };
}

/**
 * Runs a circuit and returns its results:
 * - RUNNER: [COUNTS, PROBABILITIES];
 * - SAMPLER: [QUASI_DIST];
 * - ESTIMATOR: one VALUE_AND_VARIANCE per observable, in order.
 * Synchronous and CPU-bound: call it from a worker thread (see SimulatorPool) in a server.
 * Throws SimulationInputError, SimulationLimitError or SimulationAbortedError.
 */
export function simulate(req: SimulationRequest, opts: SimulateOptions = {}): SimulationResult[] {
  const t0 = performance.now();
  validate(req);
  const abort = opts.signal ?? null;
  if (abort !== null && abort.aborted) throw new SimulationAbortedError();
  const progress = progressReporter(opts.onProgress);
  const seed = req.seed ?? randomSeed();
  const elapsed = () => Math.round((performance.now() - t0) * 1000) / 1000;

  if (req.type === 'ESTIMATOR') {
    const results = estimate(req, abort, progress, elapsed);
    progress(1);
    return results;
  }

  const circuit = req.circuit;
  let outcomes: Outcomes;
  let mode: SamplingMode;
  if (!hasMeasurement(circuit.ops)) {
    // No measurement, nothing to report (qunicorn-core's ADR 0011: an empty counts dict).
    compile(circuit); // still validates the circuit
    outcomes = new Map();
    mode = 'no-measurements';
  } else if (measurementsAreTerminal(circuit.ops)) {
    outcomes = sampleTerminal(req, new Rng(seed), abort, progress);
    mode = 'sampled-once';
  } else {
    outcomes = sampleTrajectories(req, new Rng(seed), abort, progress);
    mode = 'per-shot';
    // Measured only into classical variables: nothing to report, as for a circuit without measurement.
    if (circuit.numClbits === 0) outcomes.clear();
  }
  progress(1);
  return formatSamples(req, outcomes, seed, mode, elapsed());
}

/** Runs the unitary part of a circuit whose measurements are all terminal (they are ignored). */
function runUnitaryPart(
  circuit: Circuit,
  maxMemoryBytes: number | undefined,
  abort: AbortLike | null,
  progress: (f: number) => void,
  progressShare = 1,
): { state: StateVector; program: Program; support: Support } {
  const program = compile(circuit, { dropMeasurements: true });
  const state = new StateVector(circuit.numQubits, maxMemoryBytes);
  const support = freshSupport(circuit.numQubits);
  const total = program.instrs.length || 1;
  runUnitaries(state.data, circuit.numQubits, program.instrs, 0, program.instrs.length, support, abort, (done) =>
    progress((progressShare * done) / total),
  );
  return { state, program, support };
}

function sampleTerminal(req: SimulationRequest, rng: Rng, abort: AbortLike | null, progress: (f: number) => void) {
  const { circuit, shots } = req;
  const n = circuit.numQubits;
  const { state, support } = runUnitaryPart(circuit, req.maxMemoryBytes, abort, progress, 0.98);
  const { fixed, setMask } = supportFixed(support, 0, 0);
  const total = norm2(state.data, n, fixed, setMask, abort);
  const basis = sampleSorted(state.data, n, fixed, setMask, sortedUniforms(rng, shots, total), abort);
  const src = clbitSources(circuit);
  const outcomes: Outcomes = new Map();
  const clbits = new Uint8Array(circuit.numClbits);
  for (const [index, count] of basis) {
    for (let c = 0; c < clbits.length; c++) clbits[c] = src[c] < 0 ? 0 : (index >>> src[c]) & 1;
    const key = outcomeKey(clbits);
    outcomes.set(key, (outcomes.get(key) ?? 0) + count);
  }
  return outcomes;
}

interface Task {
  /** Instruction to start at. */
  pc: number;
  shots: number;
  /** Classical bits at `pc`. */
  clbits: Uint8Array;
  /** Classical variables at `pc`. */
  vars: Float64Array;
  /** The state just before `pc`, or null: start from the prefix state at `prefixEnd` and replay `forced`. */
  snapshot: Float64Array | null;
  /** The support of the snapshot (see interpreter.ts). */
  support: Support;
  /** Outcomes to impose on the next measurements/resets, in order. */
  forced: number[];
  /** Outcomes of all measurements/resets from prefixEnd up to `pc`. */
  history: number[];
}

/**
 * Per-shot simulation for circuits with mid-circuit measurement, reset or conditionals.
 *
 * The deterministic prefix (everything before the first measure, reset or if) runs once. Then the
 * shots travel together: at each measurement (or reset) the shots still together split between the
 * outcomes binomially, which is exactly the distribution of independent shots, and each group
 * continues as one trajectory. Shots whose outcomes agree share all the work; the number of
 * trajectories is at most min(shots, number of distinct outcome sequences). A branch not taken yet
 * resumes from a saved copy of the state when memory allows (at most MAX_SNAPSHOTS copies within
 * SNAPSHOT_BUDGET_BYTES and the memory limit), otherwise it is replayed from the prefix with its
 * outcomes imposed. Memory: two state vectors, plus the snapshots of small states.
 */
function sampleTrajectories(
  req: SimulationRequest,
  rng: Rng,
  abort: AbortLike | null,
  progress: (f: number) => void,
): Outcomes {
  const { circuit } = req;
  const n = circuit.numQubits;
  const program = compile(circuit);
  const instrs = program.instrs;
  // Every instruction from OP_MEASURE on is classical or depends on classical state.
  let prefixEnd = instrs.findIndex((i) => i.op >= OP_MEASURE);
  if (prefixEnd < 0) prefixEnd = instrs.length;
  const rest = instrs.length - prefixEnd;
  const work = prefixEnd + rest || 1;

  checkMemory(n, 2, req.maxMemoryBytes);
  const prefix = new StateVector(n, req.maxMemoryBytes);
  const prefixSupport = freshSupport(n);
  runUnitaries(prefix.data, n, instrs, 0, prefixEnd, prefixSupport, abort, (done) => progress(done / work));
  const working = new StateVector(n);
  const d = working.data;

  const bytes = stateBytes(n);
  const memLimit = Math.min(req.maxMemoryBytes ?? Infinity, availableMemoryBytes() * 0.9);
  const budget = Math.min(SNAPSHOT_BUDGET_BYTES, memLimit - 2 * bytes);
  const maxSnapshots = Math.max(0, Math.min(MAX_SNAPSHOTS, Math.floor(budget / bytes)));
  let liveSnapshots = 0;

  const outcomes: Outcomes = new Map();
  const tasks: Task[] = [
    {
      pc: prefixEnd,
      shots: req.shots,
      clbits: new Uint8Array(circuit.numClbits),
      vars: new Float64Array(program.numVars),
      snapshot: null,
      support: { ...prefixSupport },
      forced: [],
      history: [],
    },
  ];
  let shotsDone = 0;
  while (tasks.length > 0) {
    const task = tasks.pop()!;
    if (task.snapshot !== null) {
      d.set(task.snapshot);
      task.snapshot = null;
      liveSnapshots--;
    } else {
      d.set(prefix.data);
    }
    const clbits = task.clbits;
    const state: ClassicalState = { clbits, vars: task.vars };
    let iterations = 0;
    const history = task.history;
    const sup = task.support;
    let shots = task.shots;
    let forcedIdx = 0;
    let pc = task.pc;
    while (pc < instrs.length) {
      if (abort !== null && abort.aborted) throw new SimulationAbortedError();
      const ins = instrs[pc];
      if (ins.op === OP_MEASURE || ins.op === OP_RESET || ins.op === OP_MEASURE_VAR) {
        const q = ins.a;
        const bit = 1 << q;
        const known = (sup.mask & bit) !== 0;
        const { fixed, setMask } = supportFixed(sup, bit, 0);
        let p0 = 1;
        let p1 = 0;
        if (known) {
          p1 = (sup.value >>> q) & 1;
          p0 = 1 - p1;
        } else {
          [p0, p1] = qubitProbabilities(d, n, q, fixed, setMask, abort);
        }
        let outcome: 0 | 1;
        if (forcedIdx < task.forced.length) {
          outcome = task.forced[forcedIdx++] as 0 | 1;
        } else {
          const ones = p0 <= 0 ? shots : p1 <= 0 ? 0 : rng.binomial(shots, p1 / (p0 + p1));
          if (ones === 0) outcome = 0;
          else if (ones === shots) outcome = 1;
          else {
            // The `ones` shots take outcome 1 later; the others go on with outcome 0 now.
            let snapshot: Float64Array | null = null;
            if (liveSnapshots < maxSnapshots) {
              try {
                snapshot = d.slice();
                liveSnapshots++;
              } catch {
                snapshot = null;
              }
            }
            tasks.push(
              snapshot !== null
                ? {
                    pc,
                    shots: ones,
                    clbits: clbits.slice(),
                    vars: state.vars.slice(),
                    snapshot,
                    support: { ...sup },
                    forced: [1],
                    history: history.slice(),
                  }
                : {
                    pc: prefixEnd,
                    shots: ones,
                    clbits: new Uint8Array(circuit.numClbits),
                    vars: new Float64Array(program.numVars),
                    snapshot: null,
                    support: { ...prefixSupport },
                    forced: [...history, 1],
                    history: [],
                  },
            );
            shots -= ones;
            outcome = 0;
          }
        }
        history.push(outcome);
        const reset = ins.op === OP_RESET;
        if (!known) collapse(d, n, q, outcome, outcome === 1 ? p1 : p0, reset, fixed, setMask, abort);
        else if (reset && outcome === 1) collapse(d, n, q, 1, 1, true, fixed, setMask, abort);
        sup.mask |= bit;
        sup.value = (sup.value & ~bit) | (reset ? 0 : outcome << q);
        if (ins.op === OP_MEASURE) clbits[ins.b] = outcome;
        else if (ins.op === OP_MEASURE_VAR) writeBit(ins, state, outcome);
        pc++;
      } else if (ins.op === OP_JUMP_UNLESS) {
        let value = 0;
        for (let i = 0; i < ins.clbits.length; i++) value += clbits[ins.clbits[i]] * 2 ** i;
        pc = value === ins.value ? pc + 1 : ins.jump;
      } else if (ins.op === OP_SET) {
        ins.target!.write(state, ins.expr!(state));
        pc++;
      } else if (ins.op === OP_JUMP_IF_FALSE) {
        pc = ins.expr!(state) !== 0 ? pc + 1 : ins.jump;
      } else if (ins.op === OP_GOTO) {
        if (ins.value === 1 && ++iterations > MAX_LOOP_ITERATIONS) {
          throw new SimulationInputError(
            `a loop ran more than ${MAX_LOOP_ITERATIONS.toLocaleString('en')} iterations in one shot`,
          );
        }
        pc = ins.jump;
      } else if (ins.op === OP_END) {
        pc = instrs.length;
      } else if (ins.op === OP_DYNAMIC_GATE) {
        applyTracked(d, n, dynamicGate(ins, state), sup, abort);
        pc++;
      } else {
        applyTracked(d, n, ins, sup, abort);
        pc++;
      }
    }
    const key = outcomeKey(clbits);
    outcomes.set(key, (outcomes.get(key) ?? 0) + shots);
    shotsDone += shots;
    progress((prefixEnd + (rest * shotsDone) / req.shots) / work);
  }
  return outcomes;
}

/** Writes a measurement outcome into bit `ins.b` of the instruction's classical target. */
function writeBit(ins: Instr, state: ClassicalState, outcome: 0 | 1): void {
  const target = ins.target!;
  const current = target.read(state);
  const bit = bitOf(current, ins.b);
  target.write(state, Math.trunc(current) + (outcome - bit) * 2 ** ins.b);
}

/** The unitary instruction of a gate whose angles are evaluated now. */
function dynamicGate(ins: Instr, state: ClassicalState): Instr {
  const exprs = ins.exprs!;
  const theta = exprs[0](state);
  const phi = exprs[1](state);
  const lambda = exprs[2](state);
  const phase = exprs[3](state);
  if (![theta, phi, lambda, phase].every(Number.isFinite)) {
    throw new SimulationInputError(`a gate's angle is not a finite number (${[theta, phi, lambda, phase].join(', ')})`);
  }
  const m = u3(theta, phi, lambda);
  const c = Math.cos(phase);
  const sn = Math.sin(phase);
  const scaled = new Float64Array(8);
  for (let i = 0; i < 8; i += 2) {
    scaled[i] = m[i] * c - m[i + 1] * sn;
    scaled[i + 1] = m[i] * sn + m[i + 1] * c;
  }
  return { ...ins, op: OP_UNITARY, m: scaled };
}

// ---------------------------------------------------------------------------------------------
// Result formatting.

/** "0x" + hex of bits[offset .. offset+size-1] (bits[offset] least significant); any width. */
export function hexOfBits(bits: string, offset: number, size: number): string {
  let hex = '';
  for (let top = Math.ceil(size / 4) * 4 - 4; top >= 0; top -= 4) {
    let nibble = 0;
    for (let b = 3; b >= 0; b--) {
      const i = top + b;
      nibble = nibble * 2 + (i < size && bits[offset + i] === '1' ? 1 : 0);
    }
    if (hex.length > 0 || nibble > 0) hex += nibble.toString(16);
  }
  return '0x' + (hex || '0');
}

/** The classical registers in key order: the last-declared first (qiskit prints counts that way). */
export function keyRegisters(circuit: Pick<Circuit, 'cregs' | 'numClbits'>): Register[] {
  const regs =
    circuit.cregs.length > 0
      ? circuit.cregs
      : circuit.numClbits > 0
        ? [{ name: 'c', size: circuit.numClbits, offset: 0 }]
        : [];
  return [...regs].reverse();
}

function formatSamples(
  req: SimulationRequest,
  outcomes: Outcomes,
  seed: number,
  mode: SamplingMode,
  timeTakenMs: number,
): SimulationResult[] {
  const meta = { seed, timeTakenMs, mode };
  // The meta types of the results are those of this simulator: with seed, timeTakenMs and mode.
  return formatOutcomeMap(req.circuit, req.type === 'SAMPLER' ? 'SAMPLER' : 'RUNNER', req.shots, outcomes, meta) as
    [CountsResult, ProbabilitiesResult] | [QuasiDistResult];
}

/** A result of formatOutcomes: the simulator's result types, with the meta their producer gave. */
export interface FormattedOutcomes {
  resultType: 'COUNTS' | 'PROBABILITIES' | 'QUASI_DIST';
  data: Record<string, number>;
  meta: Record<string, unknown>;
}

/**
 * An ESTIMATOR's observables, checked (at least one, finite coefficients, Pauli strings of the
 * circuit's width) and parsed. Throws SimulationInputError.
 */
export function parseObservables(
  observables: Observable[] | undefined,
  numQubits: number,
): { pauli: string; coefficient: number; masks: PauliMasks }[] {
  if (!Array.isArray(observables) || observables.length === 0) {
    throw new SimulationInputError('ESTIMATOR needs at least one observable');
  }
  return observables.map((o) => {
    const coefficient = o.coefficient ?? 1;
    if (!Number.isFinite(coefficient))
      throw new SimulationInputError(`coefficient of ${o.pauli} must be a finite number`);
    return { pauli: String(o.pauli).toUpperCase(), coefficient, masks: parsePauli(o.pauli, numQubits) };
  });
}

/**
 * The results of measured shots in the formats this service stores, whoever measured them (this
 * simulator, or a quantum cloud whose answer a provider adapter read): RUNNER gives COUNTS and
 * PROBABILITIES keyed by the hex value of each classical register, the last-declared first and
 * separated by a space; SAMPLER a QUASI_DIST keyed by the hex value of all clbits. `outcomes` maps
 * the clbits of a shot, as a '0'/'1' string with clbit 0 first, to how many shots gave them; `meta`
 * is added to each result's meta (after format, shots and registers).
 */
export function formatOutcomes(
  circuit: Pick<Circuit, 'cregs' | 'numClbits'>,
  type: 'RUNNER' | 'SAMPLER',
  shots: number,
  outcomes: Iterable<readonly [string, number]>,
  meta: Record<string, unknown> = {},
): FormattedOutcomes[] {
  const map: Outcomes = new Map();
  const numeric = circuit.numClbits <= NUMERIC_CLBITS;
  for (const [bits, count] of outcomes) {
    if (bits.length !== circuit.numClbits || !/^[01]*$/.test(bits)) {
      throw new SimulationInputError(
        `an outcome must give the ${circuit.numClbits} clbits as 0s and 1s; got ${JSON.stringify(bits.slice(0, 80))}`,
      );
    }
    let key: number | string = bits;
    if (numeric) {
      key = 0;
      for (let i = bits.length - 1; i >= 0; i--) key = key * 2 + (bits[i] === '1' ? 1 : 0);
    }
    map.set(key, (map.get(key) ?? 0) + count);
  }
  return formatOutcomeMap(circuit, type, shots, map, meta);
}

function formatOutcomeMap(
  circuit: Pick<Circuit, 'cregs' | 'numClbits'>,
  type: 'RUNNER' | 'SAMPLER',
  shots: number,
  outcomes: Outcomes,
  extraMeta: Record<string, unknown>,
): FormattedOutcomes[] {
  const numeric = circuit.numClbits <= NUMERIC_CLBITS;
  // Sorted by the integer value of all clbits, so that the output is deterministic.
  const sorted = [...outcomes.entries()].sort(([a], [b]) => {
    if (numeric) return (a as number) - (b as number);
    const x = a as string;
    const y = b as string;
    for (let i = x.length - 1; i >= 0; i--) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  });
  const hex = (key: number | string, offset: number, size: number): string =>
    numeric
      ? '0x' + (((key as number) >>> offset) & (2 ** size - 1)).toString(16)
      : hexOfBits(key as string, offset, size);
  const regs = keyRegisters(circuit);
  const registers: RegisterInfo[] = regs.map((r) => ({ name: r.name, size: r.size }));
  if (type === 'SAMPLER') {
    const data: Record<string, number> = {};
    for (const [bits, count] of sorted) {
      const key = hex(bits, 0, circuit.numClbits);
      data[key] = (data[key] ?? 0) + count / shots;
    }
    return [
      {
        resultType: 'QUASI_DIST',
        data,
        meta: { format: 'hex', shots, numClbits: circuit.numClbits, registers, ...extraMeta },
      },
    ];
  }
  const counts: Record<string, number> = {};
  for (const [bits, count] of sorted) {
    const key = regs.map((r) => hex(bits, r.offset, r.size)).join(' ');
    counts[key] = (counts[key] ?? 0) + count;
  }
  const probabilities: Record<string, number> = {};
  for (const [key, count] of Object.entries(counts)) probabilities[key] = count / shots;
  const meta = () => ({
    format: 'hex',
    shots,
    registers: registers.map((r) => ({ ...r })),
    ...extraMeta,
  });
  return [
    { resultType: 'COUNTS', data: counts, meta: meta() },
    { resultType: 'PROBABILITIES', data: probabilities, meta: meta() },
  ];
}

// ---------------------------------------------------------------------------------------------
// Estimator.

interface PauliMasks {
  x: number;
  z: number;
  nY: number;
}

export function parsePauli(pauli: string, numQubits: number): PauliMasks {
  if (typeof pauli !== 'string' || !/^[IXYZ]*$/i.test(pauli)) {
    throw new SimulationInputError(`observable ${JSON.stringify(pauli)} must be a string of I, X, Y and Z`);
  }
  if (pauli.length !== numQubits) {
    throw new SimulationInputError(
      `observable ${pauli} has ${pauli.length} Paulis, but the circuit has ${numQubits} qubits (rightmost = qubit 0)`,
    );
  }
  let x = 0;
  let z = 0;
  let nY = 0;
  const up = pauli.toUpperCase();
  for (let q = 0; q < numQubits; q++) {
    const ch = up[numQubits - 1 - q];
    if (ch === 'X' || ch === 'Y') x |= 1 << q;
    if (ch === 'Z' || ch === 'Y') z |= 1 << q;
    if (ch === 'Y') nY++;
  }
  return { x, z, nY };
}

/** <psi|P|psi> for a Pauli string (real, in [-1, 1]) on a normalised state. */
export function pauliExpectation(d: Float64Array, n: number, masks: PauliMasks, abort: AbortLike | null): number {
  const [re, im] = pauliSum(d, n, masks.x, masks.z, abort);
  // Multiply by i^nY and keep the real part.
  const real = [re, -im, -re, im][masks.nY % 4];
  return Math.max(-1, Math.min(1, real));
}

function estimate(
  req: SimulationRequest,
  abort: AbortLike | null,
  progress: (f: number) => void,
  elapsed: () => number,
): ValueAndVarianceResult[] {
  const { circuit } = req;
  const parsed = parseObservables(req.observables, circuit.numQubits);
  if (!measurementsAreTerminal(circuit.ops)) {
    throw new SimulationInputError(
      'ESTIMATOR needs a circuit without mid-circuit measurement, reset or conditionals (its expectation values are taken on the final state)',
    );
  }
  const { state, support } = runUnitaryPart(circuit, req.maxMemoryBytes, abort, progress, 0.9);
  const { fixed, setMask } = supportFixed(support, 0, 0);
  const norm = norm2(state.data, circuit.numQubits, fixed, setMask, abort);
  if (Math.abs(norm - 1) > 1e-12) applyScale(state.data, 1 / Math.sqrt(norm), 0, abort);
  const timeTakenMs = elapsed();
  return parsed.map(({ pauli, coefficient, masks }) => {
    const ev = pauliExpectation(state.data, circuit.numQubits, masks, abort);
    return {
      resultType: 'VALUE_AND_VARIANCE' as const,
      data: { value: coefficient * ev, variance: coefficient * coefficient * Math.max(0, 1 - ev * ev) },
      meta: { observable: pauli, coefficient, exact: true as const, shots: req.shots, timeTakenMs },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// For tests and benchmarks.

export interface StatevectorOptions {
  maxQubits?: number;
  maxMemoryBytes?: number;
  signal?: AbortLike;
}

/**
 * The final state of a circuit whose measurements are all terminal (measurements are ignored),
 * global phase included. Throws for circuits with mid-circuit measurement, reset or conditionals.
 */
export function runStatevector(circuit: Circuit, opts: StatevectorOptions = {}): StateVector {
  validate({
    circuit,
    shots: 1,
    type: 'RUNNER',
    maxQubits: opts.maxQubits ?? HARD_MAX_QUBITS,
    maxMemoryBytes: opts.maxMemoryBytes,
  });
  if (!measurementsAreTerminal(circuit.ops)) {
    throw new SimulationInputError(
      'runStatevector needs a circuit without mid-circuit measurement, reset or conditionals',
    );
  }
  const { state, program } = runUnitaryPart(circuit, opts.maxMemoryBytes, opts.signal ?? null, () => {});
  if (program.globalPhase !== 0) {
    applyScale(state.data, Math.cos(program.globalPhase), Math.sin(program.globalPhase), opts.signal ?? null);
  }
  return state;
}
