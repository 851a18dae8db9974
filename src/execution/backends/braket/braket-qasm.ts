/**
 * Our OpenQASM 3 (the engine's QASM3 emitter) rewritten in the dialect Amazon Braket runs.
 *
 * What Braket takes (checked 2026 in its developer guide, "What OpenQASM features does Braket
 * support?", and in amazon-braket-default-simulator-python, braket_gates.inc / BRAKET_GATES):
 * - no `include` and no gate definitions on its devices: a device runs the gates of its
 *   `supportedOperations`, under Braket's names (`cnot`, `ccnot`, `si`, `ti`, `v`, `phaseshift`,
 *   `cphaseshift`, `cv`, `cswap`, ...), not stdgates.inc's (`cx`, `ccx`, `sdg`, `tdg`, `sx`, `p`, ...);
 * - no gate modifiers on the managed simulators (SV1: "uses an unsupported GateModifer: 'ctrl'",
 *   amazon-braket-sdk-python#683) and no built-in `U` (SV1: amazon-braket-sdk-python#879);
 * - `#pragma braket unitary [[...]] q[..], ...` on SV1 and DM1 (big-endian: the first target is
 *   the most significant bit of the matrix's index);
 * - no classical control flow, variables, mid-circuit measurement or reset outside the local
 *   simulator (the adapter refuses those circuits before they get here).
 *
 * So: stdgates names become Braket's; controls on a gate are written with Braket's controlled
 * gates where one is exact (cnot, cy, cz, cv, cphaseshift, ccnot, cswap), negative controls as X
 * on both sides, any other singly-controlled gate as its exact ABC decomposition (two cnots and
 * rotations, the phase on the control), and a gate with two or more controls as a unitary pragma.
 * `U(θ, φ, λ)` is `rz(λ); ry(θ); rz(φ)` (equal up to a global phase), uncontrolled global phases
 * are dropped (nothing measures them) and barriers too. The registers become one `qubit[n] q`
 * (qubit i of the circuit = q[i], so that Braket's measuredQubits are our qubit indices).
 */

/** The text cannot be written for Braket: its message says what, for the job's error. */
export class BraketDialectError extends Error {
  override readonly name = 'BraketDialectError';
}

/** A complex number [re, im]. */
type Complex = readonly [number, number];
/** A 2x2 matrix: m00, m01, m10, m11. */
type M2 = readonly [Complex, Complex, Complex, Complex];

const cmul = (a: Complex, b: Complex): Complex => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const csub = (a: Complex, b: Complex): Complex => [a[0] - b[0], a[1] - b[1]];
const expi = (t: number): Complex => [Math.cos(t), Math.sin(t)];
const cabs = (a: Complex) => Math.hypot(a[0], a[1]);
const carg = (a: Complex) => Math.atan2(a[1], a[0]);
const scale = (m: M2, k: Complex): M2 => [cmul(m[0], k), cmul(m[1], k), cmul(m[2], k), cmul(m[3], k)];

function mul2(a: M2, b: M2): M2 {
  const add = (x: Complex, y: Complex): Complex => [x[0] + y[0], x[1] + y[1]];
  return [
    add(cmul(a[0], b[0]), cmul(a[1], b[2])),
    add(cmul(a[0], b[1]), cmul(a[1], b[3])),
    add(cmul(a[2], b[0]), cmul(a[3], b[2])),
    add(cmul(a[2], b[1]), cmul(a[3], b[3])),
  ];
}

const rzM = (t: number): M2 => [expi(-t / 2), [0, 0], [0, 0], expi(t / 2)];
const ryM = (t: number): M2 => [
  [Math.cos(t / 2), 0],
  [-Math.sin(t / 2), 0],
  [Math.sin(t / 2), 0],
  [Math.cos(t / 2), 0],
];
const uM = (theta: number, phi: number, lambda: number): M2 => {
  const c = Math.cos(theta / 2);
  const s = Math.sin(theta / 2);
  return [[c, 0], cmul(expi(lambda), [-s, 0]), cmul(expi(phi), [s, 0]), cmul(expi(phi + lambda), [c, 0])];
};

/** The matrix of a one-qubit stdgates gate (or U), or undefined for a name it does not know. */
export function gateMatrix(name: string, params: readonly number[]): M2 | undefined {
  const r = Math.SQRT1_2;
  const [a = 0, b = 0, c = 0] = params;
  switch (name) {
    case 'id':
      return [
        [1, 0],
        [0, 0],
        [0, 0],
        [1, 0],
      ];
    case 'x':
      return [
        [0, 0],
        [1, 0],
        [1, 0],
        [0, 0],
      ];
    case 'y':
      return [
        [0, 0],
        [0, -1],
        [0, 1],
        [0, 0],
      ];
    case 'z':
      return [
        [1, 0],
        [0, 0],
        [0, 0],
        [-1, 0],
      ];
    case 'h':
      return [
        [r, 0],
        [r, 0],
        [r, 0],
        [-r, 0],
      ];
    case 's':
      return [
        [1, 0],
        [0, 0],
        [0, 0],
        [0, 1],
      ];
    case 'sdg':
      return [
        [1, 0],
        [0, 0],
        [0, 0],
        [0, -1],
      ];
    case 't':
      return [[1, 0], [0, 0], [0, 0], expi(Math.PI / 4)];
    case 'tdg':
      return [[1, 0], [0, 0], [0, 0], expi(-Math.PI / 4)];
    case 'sx':
      return [
        [0.5, 0.5],
        [0.5, -0.5],
        [0.5, -0.5],
        [0.5, 0.5],
      ];
    case 'p':
      return [[1, 0], [0, 0], [0, 0], expi(a)];
    case 'rx':
      return [
        [Math.cos(a / 2), 0],
        [0, -Math.sin(a / 2)],
        [0, -Math.sin(a / 2)],
        [Math.cos(a / 2), 0],
      ];
    case 'ry':
      return ryM(a);
    case 'rz':
      return rzM(a);
    case 'U':
      return uM(a, b, c);
    default:
      return undefined;
  }
}

/** `m = e^{iα} Rz(φ) Ry(θ) Rz(λ)`. */
export function zyz(m: M2): { alpha: number; theta: number; phi: number; lambda: number } {
  const det = csub(cmul(m[0], m[3]), cmul(m[1], m[2]));
  let alpha = carg(det) / 2;
  const v = scale(m, expi(-alpha));
  const a = v[0];
  const b = v[2];
  const theta = 2 * Math.atan2(cabs(b), cabs(a));
  const pa = cabs(a) > 1e-12 ? carg(a) : 0;
  const pb = cabs(b) > 1e-12 ? carg(b) : 0;
  const phi = pb - pa;
  const lambda = -pa - pb;
  const back = scale(mul2(rzM(phi), mul2(ryM(theta), rzM(lambda))), expi(alpha));
  if (back.some((x, i) => cabs(csub(x, m[i])) > 1e-9)) alpha += Math.PI;
  return { alpha, theta, phi, lambda };
}

/** A number as OpenQASM text (shortest round trip; ulps around 0 written as 0). */
function num(x: number): string {
  if (Math.abs(x) < 1e-15) return '0';
  return String(x);
}

function complexText([re, im]: Complex): string {
  const r = Math.abs(re) < 1e-15 ? 0 : re;
  const i = Math.abs(im) < 1e-15 ? 0 : im;
  if (i === 0) return num(r);
  if (r === 0) return `${num(i)}im`;
  return `${num(r)}${i < 0 ? '-' : '+'}${num(Math.abs(i))}im`;
}

/** A parameter as the emitter writes it: a number, or a multiple of pi (`pi`, `-3*pi/4`). */
function paramValue(text: string): number {
  const t = text.trim();
  const m = /^(-)?(?:(\d+)\*)?(?:pi|π)(?:\/(\d+))?$/.exec(t);
  if (m) return (m[1] ? -1 : 1) * Number(m[2] ?? 1) * (Math.PI / Number(m[3] ?? 1));
  const v = Number(t);
  if (t === '' || !Number.isFinite(v)) throw new BraketDialectError(`the parameter ${t} is not a number`);
  return v;
}

/** Braket's name of an uncontrolled one-qubit gate, where it has the same matrix. */
const BRAKET_NAME: Readonly<Record<string, string>> = {
  id: 'i',
  x: 'x',
  y: 'y',
  z: 'z',
  h: 'h',
  s: 's',
  sdg: 'si',
  t: 't',
  tdg: 'ti',
  sx: 'v',
  p: 'phaseshift',
  rx: 'rx',
  ry: 'ry',
  rz: 'rz',
};

/** Braket's singly-controlled gates: the base gate's name → the controlled gate's. */
const BRAKET_CONTROLLED: Readonly<Record<string, string>> = {
  x: 'cnot',
  y: 'cy',
  z: 'cz',
  sx: 'cv',
  p: 'cphaseshift',
};

/** Most qubits (controls and target) of a gate written as a unitary pragma: 2^n x 2^n entries. */
export const MAX_PRAGMA_QUBITS = 6;

export interface BraketProgram {
  /** OpenQASM 3 in Braket's dialect. */
  source: string;
  numQubits: number;
  /** With a Pauli: the qubits measured (its support, ascending), in the order of the classical bits. */
  measured?: number[];
}

export interface BraketQasmOptions {
  /**
   * ESTIMATOR: the circuit's measurements are dropped, and the qubits of the Pauli's support are
   * rotated to its basis (X: h; Y: si, h) and measured, as the Braket SDK measures an observable on
   * a device. The Pauli is in qiskit order (the rightmost character acts on qubit 0).
   */
  pauli?: string;
}

/** Rewrites the engine's OpenQASM 3 for Braket. Throws BraketDialectError for what Braket cannot run. */
export function toBraketQasm(qasm3: string, opts: BraketQasmOptions = {}): BraketProgram {
  const qregs = new Map<string, { offset: number; size: number }>();
  let numQubits = 0;
  const cregDecls: string[] = [];
  const cregNames = new Set<string>();
  const body: string[] = [];
  // One qubit register, under a name no classical register has.
  for (const m of qasm3.matchAll(/^\s*bit\[\d+\]\s+([A-Za-z_]\w*);/gm)) cregNames.add(m[1]);
  let qName = 'q';
  while (cregNames.has(qName)) qName = `${qName}_`;
  const Q = (i: number) => `${qName}[${i}]`;

  const qubitIndex = (ref: string): number => {
    const m = /^([A-Za-z_]\w*)\[(\d+)\]$/.exec(ref.trim());
    const reg = m && qregs.get(m[1]);
    const i = m ? Number(m[2]) : NaN;
    if (!reg || !(i < reg.size)) throw new BraketDialectError(`unknown qubit ${ref.trim()}`);
    return reg.offset + i;
  };

  const gate1 = (name: string, paramText: string[], target: number) => {
    const params = paramText.length > 0 ? `(${paramText.join(', ')})` : '';
    body.push(`${name}${params} ${Q(target)};`);
  };

  /** Rotations of `m` up to its global phase on `target`: rz(λ); ry(θ); rz(φ). */
  const rotations = (phi: number, theta: number, lambda: number, target: number) => {
    if (Math.abs(lambda) > 1e-15) gate1('rz', [num(lambda)], target);
    if (Math.abs(theta) > 1e-15) gate1('ry', [num(theta)], target);
    if (Math.abs(phi) > 1e-15) gate1('rz', [num(phi)], target);
  };

  /** A one-qubit gate `m` under `controls` (all on |1>), on `target`. */
  const controlled = (base: string, paramText: string[], m: M2, controls: number[], target: number) => {
    const k = controls.length;
    if (k === 0) {
      const named = BRAKET_NAME[base];
      if (named) return gate1(named, base === 'p' || base.startsWith('r') ? paramText : [], target);
      const { theta, phi, lambda } = zyz(m);
      return rotations(phi, theta, lambda, target);
    }
    if (k === 1 && BRAKET_CONTROLLED[base]) {
      const params = base === 'p' ? `(${paramText.join(', ')})` : '';
      body.push(`${BRAKET_CONTROLLED[base]}${params} ${Q(controls[0])}, ${Q(target)};`);
      return;
    }
    if (k === 2 && base === 'x') {
      body.push(`ccnot ${Q(controls[0])}, ${Q(controls[1])}, ${Q(target)};`);
      return;
    }
    if (k === 1) {
      // C-U = (phase α on the control) · A X B X C with ABC = I (Nielsen & Chuang, 4.2).
      const { alpha, theta, phi, lambda } = zyz(m);
      const c = controls[0];
      if (Math.abs((lambda - phi) / 2) > 1e-15) gate1('rz', [num((lambda - phi) / 2)], target);
      body.push(`cnot ${Q(c)}, ${Q(target)};`);
      if (Math.abs((phi + lambda) / 2) > 1e-15) gate1('rz', [num(-(phi + lambda) / 2)], target);
      if (Math.abs(theta / 2) > 1e-15) gate1('ry', [num(-theta / 2)], target);
      body.push(`cnot ${Q(c)}, ${Q(target)};`);
      if (Math.abs(theta / 2) > 1e-15) gate1('ry', [num(theta / 2)], target);
      if (Math.abs(phi) > 1e-15) gate1('rz', [num(phi)], target);
      const a = Math.atan2(Math.sin(alpha), Math.cos(alpha));
      if (Math.abs(a) > 1e-15) gate1('phaseshift', [num(a)], c);
      return;
    }
    if (k + 1 > MAX_PRAGMA_QUBITS) {
      throw new BraketDialectError(
        `a gate with ${k} controls (Braket runs gates with at most ${MAX_PRAGMA_QUBITS - 1} controls, as a unitary)`,
      );
    }
    body.push(`#pragma braket unitary ${controlledMatrixText(m, k)} ${[...controls, target].map(Q).join(', ')}`);
  };

  for (const raw of qasm3.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) continue;
    if (/^OPENQASM\s/.test(line) || /^include\s/.test(line)) continue;
    let m = /^qubit\[(\d+)\]\s+([A-Za-z_]\w*);$/.exec(line);
    if (m) {
      qregs.set(m[2], { offset: numQubits, size: Number(m[1]) });
      numQubits += Number(m[1]);
      continue;
    }
    m = /^bit\[(\d+)\]\s+([A-Za-z_]\w*);$/.exec(line);
    if (m) {
      if (!opts.pauli) cregDecls.push(line);
      continue;
    }
    m = /^(\S+)\s*=\s*measure\s+(\S+);$/.exec(line);
    if (m) {
      if (!opts.pauli) body.push(`${m[1]} = measure ${Q(qubitIndex(m[2]))};`);
      continue;
    }
    if (/^barrier\b/.test(line) || /^gphase\([^)]*\);$/.test(line)) continue;
    m = /^((?:(?:ctrl|negctrl)(?:\(\s*\d+\s*\))?\s*@\s*)*)([A-Za-z_]\w*)(?:\(([^)]*)\))?\s+([^;]+);$/.exec(line);
    if (!m) throw new BraketDialectError(`Amazon Braket cannot run \`${line.slice(0, 120)}\``);
    const states: (0 | 1)[] = [];
    for (const mod of m[1].matchAll(/(negctrl|ctrl)(?:\(\s*(\d+)\s*\))?/g)) {
      for (let i = 0; i < Number(mod[2] ?? 1); i++) states.push(mod[1] === 'ctrl' ? 1 : 0);
    }
    let name = m[2];
    if (name === 'cx' || name === 'ccx') {
      states.push(...(name === 'cx' ? [1 as const] : [1 as const, 1 as const]));
      name = 'x';
    }
    const paramText = m[3] === undefined ? [] : m[3].split(',').map((s) => s.trim());
    const qubits = m[4].split(',').map(qubitIndex);
    const controls = qubits.slice(0, states.length);
    const targets = qubits.slice(states.length);
    // Negative controls: X before and after, then a positive control.
    const flipped = controls.filter((_, i) => states[i] === 0);
    for (const c of flipped) gate1('x', [], c);
    if (name === 'swap' && targets.length === 2) {
      const [a, b] = targets;
      if (controls.length === 0) body.push(`swap ${Q(a)}, ${Q(b)};`);
      else if (controls.length === 1) body.push(`cswap ${Q(controls[0])}, ${Q(a)}, ${Q(b)};`);
      else {
        body.push(`cnot ${Q(b)}, ${Q(a)};`);
        controlled('x', [], gateMatrix('x', [])!, [...controls, a], b);
        body.push(`cnot ${Q(b)}, ${Q(a)};`);
      }
    } else if (name === 'gphase' && targets.length === 0) {
      // A phase under controls is a phase gate on the last control, under the others.
      if (controls.length > 0) {
        const theta = paramValue(paramText[0] ?? '0');
        controlled('p', paramText, gateMatrix('p', [theta])!, controls.slice(0, -1), controls[controls.length - 1]);
      }
    } else {
      const values = paramText.map(paramValue);
      const matrix = gateMatrix(name, values);
      if (!matrix || targets.length !== 1) {
        throw new BraketDialectError(`Amazon Braket cannot run \`${line.slice(0, 120)}\``);
      }
      if (name === 'U' && controls.length === 0) rotations(values[1], values[0], values[2], targets[0]);
      else controlled(name, paramText, matrix, controls, targets[0]);
    }
    for (const c of flipped) gate1('x', [], c);
  }

  const header = ['OPENQASM 3.0;', `qubit[${numQubits}] ${qName};`, ...cregDecls];
  let measured: number[] | undefined;
  if (opts.pauli !== undefined) {
    const pauli = opts.pauli.toUpperCase();
    measured = [];
    for (let i = 0; i < numQubits; i++) {
      const ch = pauli[pauli.length - 1 - i] ?? 'I';
      if (ch === 'X') gate1('h', [], i);
      if (ch === 'Y') {
        gate1('si', [], i);
        gate1('h', [], i);
      }
      if (ch !== 'I') measured.push(i);
    }
    const mName = qName === 'm' ? 'mm' : 'm';
    if (measured.length > 0) header.push(`bit[${measured.length}] ${mName};`);
    measured.forEach((qubit, j) => body.push(`${mName}[${j}] = measure ${Q(qubit)};`));
  }
  return { source: `${[...header, ...body].join('\n')}\n`, numQubits, ...(measured ? { measured } : {}) };
}

/** The 2^(k+1) matrix of `m` under k controls (all on |1>), targets [controls..., target], big-endian. */
function controlledMatrixText(m: M2, k: number): string {
  const dim = 2 ** (k + 1);
  const rows: string[] = [];
  for (let r = 0; r < dim; r++) {
    const row: string[] = [];
    for (let c = 0; c < dim; c++) {
      let v: Complex = r === c ? [1, 0] : [0, 0];
      if (r >= dim - 2 && c >= dim - 2) v = m[(r - (dim - 2)) * 2 + (c - (dim - 2))];
      row.push(complexText(v));
    }
    rows.push(`[${row.join(', ')}]`);
  }
  return `[${rows.join(', ')}]`;
}
