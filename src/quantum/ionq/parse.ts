import { CircuitError, type Circuit, type Op } from '../circuit/circuit';
import { msOps, nativeZzOps, pauliPairOps, QIS_FIXED, QIS_ROTATIONS, gpi, gpi2 } from './gates';
import { describe, readJson, type JsonNode } from './json';

/**
 * The IonQ JSON front end (`IONQ`): IonQ's circuit format, as documented for the IonQ API v0.3
 * (`ionq.circuit.v0`: `{"format": "ionq.circuit.v0", "gateset": "qis", "qubits": n, "circuit":
 * [...]}`) and v0.4 (job type `ionq.circuit.v1`, the same `input`). It reads the circuit object
 * alone or a whole job body (`{"input": {...}}`, other fields ignored); a multi-circuit job
 * (`circuits`) is read when it has exactly one circuit.
 *
 * IonQ circuits have no measurement instruction: IonQ measures every qubit at the end. So the
 * circuit gets one classical register `c` of n bits and, after its gates, `measure q[i] -> c[i]`
 * for every qubit: qubit i is bit i (bit 0 the least significant), as in IonQ's histograms, whose
 * keys are the measured integers with qubit 0 as bit 0.
 *
 * Throws only CircuitError, at the line and column of the offending JSON value.
 */

export interface IonqOptions {
  /** Most operations the circuit may expand to. Default 10,000,000. */
  maxOperations?: number;
}

/** The most qubits an IonQ circuit may declare here (far above any device). */
export const MAX_IONQ_QUBITS = 1024;

const QIS_GATES = new Set([...Object.keys(QIS_FIXED), ...Object.keys(QIS_ROTATIONS), 'cnot', 'swap', 'xx', 'yy', 'zz']);
const NATIVE_GATES = new Set(['gpi', 'gpi2', 'ms', 'zz']);
const GATE_FIELDS = new Set([
  'gate',
  'target',
  'targets',
  'control',
  'controls',
  'rotation',
  'phase',
  'phases',
  'angle',
]);

function fail(message: string, at: { line: number; col: number }): never {
  throw new CircuitError(message, at.line, at.col);
}

type ObjectNode = Extract<JsonNode, { kind: 'object' }>;

function field(obj: ObjectNode, key: string): JsonNode | undefined {
  return obj.entries.get(key)?.value;
}

function expectObject(node: JsonNode, what: string): ObjectNode {
  if (node.kind !== 'object') fail(`${what} must be an object, not ${describe(node)}`, node);
  return node;
}

function expectString(node: JsonNode, what: string): string {
  if (node.kind !== 'string') fail(`${what} must be a string, not ${describe(node)}`, node);
  return node.value;
}

function expectNumber(node: JsonNode | undefined, what: string, owner: JsonNode): number {
  if (!node) fail(`${what} is missing`, owner);
  if (node.kind !== 'number') fail(`${what} must be a number, not ${describe(node)}`, node);
  return node.value;
}

class IonqReader {
  private readonly ops: Op[] = [];
  private numQubits = 0;
  private gateset: 'qis' | 'native' = 'qis';

  constructor(private readonly maxOperations: number) {}

  private push(op: Op, at: JsonNode): void {
    if (this.ops.length >= this.maxOperations) {
      throw new CircuitError(
        `the circuit has more than ${this.maxOperations} operations`,
        at.line,
        at.col,
        'TOO_MANY_OPERATIONS',
      );
    }
    this.ops.push(op);
  }

  private qubit(node: JsonNode, what: string): number {
    if (node.kind !== 'number' || !Number.isInteger(node.value))
      fail(`${what} must be a qubit index, not ${describe(node)}`, node);
    if (node.value < 0 || node.value >= this.numQubits) {
      fail(`qubit ${node.value} is out of range (the circuit has ${this.numQubits} qubits)`, node);
    }
    return node.value;
  }

  private qubitList(node: JsonNode, what: string): number[] {
    if (node.kind !== 'array') fail(`${what} must be an array of qubit indices, not ${describe(node)}`, node);
    if (node.items.length > this.numQubits) fail(`${what} has more qubits than the circuit`, node);
    return node.items.map((q) => this.qubit(q, what));
  }

  read(root: JsonNode): Circuit {
    let circuitObj = expectObject(root, 'an IonQ program');
    const input = field(circuitObj, 'input');
    if (input) {
      const type = field(circuitObj, 'type');
      if (type) {
        const t = expectString(type, "'type'");
        if (t !== 'ionq.circuit.v1' && t !== 'ionq.multi-circuit.v1') {
          fail(`job type '${t}' is not a circuit (expected ionq.circuit.v1 or ionq.multi-circuit.v1)`, type);
        }
      }
      circuitObj = expectObject(input, "'input'");
    }
    const format = field(circuitObj, 'format');
    if (format) {
      const f = expectString(format, "'format'");
      if (f !== 'ionq.circuit.v0' && f !== 'ionq.circuit.v1') {
        fail(`unsupported format '${f}' (expected ionq.circuit.v0)`, format);
      }
    }
    const gateset = field(circuitObj, 'gateset');
    if (gateset) {
      const g = expectString(gateset, "'gateset'");
      if (g !== 'qis' && g !== 'native') fail(`unknown gateset '${g}' (expected qis or native)`, gateset);
      this.gateset = g;
    }
    const qubits = field(circuitObj, 'qubits');
    if (!qubits) fail("the circuit has no 'qubits' (its number of qubits)", circuitObj);
    if (qubits.kind !== 'number' || !Number.isInteger(qubits.value) || qubits.value < 1) {
      fail(`'qubits' must be a positive integer, not ${describe(qubits)}`, qubits);
    }
    if (qubits.value > MAX_IONQ_QUBITS)
      fail(`${qubits.value} qubits is more than the limit of ${MAX_IONQ_QUBITS}`, qubits);
    this.numQubits = qubits.value;

    let gates = field(circuitObj, 'circuit');
    const circuits = field(circuitObj, 'circuits');
    if (circuits) {
      if (gates) fail("a program has either 'circuit' or 'circuits', not both", circuits);
      if (circuits.kind !== 'array') fail(`'circuits' must be an array, not ${describe(circuits)}`, circuits);
      if (circuits.items.length !== 1) {
        fail(
          `a multi-circuit job with ${circuits.items.length} circuits: a program here is one circuit (submit each on its own)`,
          circuits.items[1] ?? circuits,
        );
      }
      const only = expectObject(circuits.items[0], "a circuit of 'circuits'");
      const own = field(only, 'gateset');
      if (own) {
        const g = expectString(own, "'gateset'");
        if (g !== 'qis' && g !== 'native') fail(`unknown gateset '${g}' (expected qis or native)`, own);
        this.gateset = g;
      }
      gates = field(only, 'circuit');
      if (!gates) fail("the circuit has no 'circuit' (its list of gates)", only);
    }
    if (!gates) fail("the program has no 'circuit' (its list of gates)", circuitObj);
    if (gates.kind !== 'array') fail(`'circuit' must be an array of gates, not ${describe(gates)}`, gates);
    for (const g of gates.items) this.gate(g);

    const n = this.numQubits;
    for (let q = 0; q < n; q++) this.push({ kind: 'measure', qubit: q, clbit: q }, gates);
    return {
      numQubits: n,
      numClbits: n,
      qregs: [{ name: 'q', size: n, offset: 0 }],
      cregs: [{ name: 'c', size: n, offset: 0 }],
      ops: this.ops,
    };
  }

  private gate(node: JsonNode): void {
    const obj = expectObject(node, 'a gate');
    for (const [key, { key: at }] of obj.entries) {
      if (!GATE_FIELDS.has(key)) fail(`unknown field '${key}' in a gate`, at);
    }
    const nameNode = field(obj, 'gate');
    if (!nameNode) fail("a gate needs a 'gate' (its name)", obj);
    const name = expectString(nameNode, "'gate'");
    const known = this.gateset === 'qis' ? QIS_GATES : NATIVE_GATES;
    if (!known.has(name)) {
      const other = this.gateset === 'qis' ? NATIVE_GATES : QIS_GATES;
      fail(
        other.has(name)
          ? `'${name}' is not a gate of the ${this.gateset} gateset (set "gateset": "${this.gateset === 'qis' ? 'native' : 'qis'}")`
          : `unknown gate '${name}' in the ${this.gateset} gateset`,
        nameNode,
      );
    }
    const allowed = (keys: string[]) => {
      for (const [key, { key: at }] of obj.entries) {
        if (key !== 'gate' && !keys.includes(key)) fail(`'${name}' takes no '${key}'`, at);
      }
    };
    const targets = (count: number): number[] => {
      const one = field(obj, 'target');
      const many = field(obj, 'targets');
      if (one && many) fail("a gate has either 'target' or 'targets', not both", many);
      let qs: number[];
      if (one) {
        if (count !== 1) fail(`'${name}' acts on ${count} qubits: give them as 'targets'`, one);
        qs = [this.qubit(one, "'target'")];
      } else if (many) {
        qs = this.qubitList(many, "'targets'");
        if (qs.length !== count) fail(`'${name}' needs ${count} target${count > 1 ? 's' : ''}, not ${qs.length}`, many);
      } else fail(`'${name}' needs a 'target'`, obj);
      if (new Set(qs).size !== qs.length) fail(`'${name}' acts on the same qubit twice`, many ?? obj);
      return qs;
    };
    const controls = (targetQubits: number[]): number[] => {
      const one = field(obj, 'control');
      const many = field(obj, 'controls');
      if (one && many) fail("a gate has either 'control' or 'controls', not both", many);
      const cs = one ? [this.qubit(one, "'control'")] : many ? this.qubitList(many, "'controls'") : [];
      const seen = new Set(targetQubits);
      for (const c of cs) {
        if (seen.has(c)) fail(`qubit ${c} is both a control and a target, or a control twice`, one ?? many!);
        seen.add(c);
      }
      return cs;
    };
    const rotation = () => expectNumber(field(obj, 'rotation'), `'${name}' needs a 'rotation' (radians); it`, obj);

    if (this.gateset === 'native') {
      switch (name) {
        case 'gpi':
        case 'gpi2': {
          allowed(['target', 'targets', 'phase']);
          const [t] = targets(1);
          const phi = expectNumber(field(obj, 'phase'), `'${name}' needs a 'phase' (turns); it`, obj);
          this.push(
            { kind: 'gate', name, matrix: name === 'gpi' ? gpi(phi) : gpi2(phi), target: t, controls: [] },
            obj,
          );
          return;
        }
        case 'ms': {
          allowed(['targets', 'phases', 'angle']);
          const [a, b] = targets(2);
          const phases = field(obj, 'phases');
          if (!phases) fail("'ms' needs 'phases' (two, in turns)", obj);
          if (phases.kind !== 'array' || phases.items.length !== 2)
            fail("'phases' must be an array of two numbers", phases);
          const [p0, p1] = phases.items.map((p) => expectNumber(p, 'a phase', phases));
          const angleNode = field(obj, 'angle');
          const theta = angleNode ? expectNumber(angleNode, "'angle'", obj) : 0.25;
          this.pushAll((out) => msOps(p0, p1, theta, a, b, out), obj);
          return;
        }
        default: {
          allowed(['targets', 'angle']);
          const [a, b] = targets(2);
          const theta = expectNumber(field(obj, 'angle'), "'zz' needs an 'angle' (turns); it", obj);
          this.pushAll((out) => nativeZzOps(theta, a, b, out), obj);
          return;
        }
      }
    }

    if (name === 'xx' || name === 'yy' || name === 'zz') {
      allowed(['targets', 'rotation']);
      const [a, b] = targets(2);
      const theta = rotation();
      this.pushAll((out) => pauliPairOps(name[0] as 'x' | 'y' | 'z', theta, a, b, out), obj);
      return;
    }
    if (name === 'swap') {
      allowed(['targets', 'control', 'controls']);
      const [a, b] = targets(2);
      this.push({ kind: 'swap', a, b, controls: controls([a, b]) }, obj);
      return;
    }
    const rot = QIS_ROTATIONS[name];
    allowed(['target', 'targets', 'control', 'controls', ...(rot ? ['rotation'] : [])]);
    const [t] = targets(1);
    const cs = controls([t]);
    if (name === 'cnot' && cs.length === 0) fail("'cnot' needs a 'control' (or 'controls')", obj);
    const matrix = rot ? rot(rotation()) : name === 'cnot' ? QIS_FIXED.x : QIS_FIXED[name];
    this.push({ kind: 'gate', name, matrix, target: t, controls: cs }, obj);
  }

  private pushAll(build: (out: Op[]) => void, at: JsonNode): void {
    const out: Op[] = [];
    build(out);
    for (const op of out) this.push(op, at);
  }
}

/** Parses an IonQ JSON program (see the doc of this file). */
export function parseIonq(source: string, options: IonqOptions = {}): Circuit {
  try {
    if (typeof source !== 'string') throw new CircuitError('the program must be a string', 1, 1);
    const max = options.maxOperations ?? 10_000_000;
    if (typeof max !== 'number' || !(max >= 0)) {
      throw new CircuitError(`maxOperations must be a non-negative number, not ${String(max)}`, 1, 1);
    }
    if (source.length > 64 * 1024 * 1024) throw new CircuitError('the program is larger than 64 MiB', 1, 1);
    return new IonqReader(max).read(readJson(source));
  } catch (err) {
    if (err instanceof CircuitError) throw err;
    throw new CircuitError(`internal error: ${err instanceof Error ? err.message : String(err)}`, 1, 1);
  }
}
