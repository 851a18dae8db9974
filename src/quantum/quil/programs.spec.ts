import fc from 'fast-check';
import { CircuitError, type Circuit, type Op } from '../circuit/circuit';
import { parseProgram } from '../languages';
import { fromRows, unitaryDistance, unitaryOf } from '../qasm/testing';
import { simulate } from '../simulator';
import { parseQuil } from '.';

/** Outcome probabilities over `shots` seeded shots (keys: hex per register). */
function probabilities(circuit: Circuit, shots = 4000): Record<string, number> {
  const [, probs] = simulate({ circuit, shots, seed: 7, type: 'RUNNER', maxQubits: 12 });
  return probs.data as Record<string, number>;
}

function kinds(ops: Op[]): string[] {
  return ops.flatMap((op) => [
    op.kind,
    ...(op.kind === 'branch' ? [...kinds(op.then), ...kinds(op.otherwise)] : []),
    ...(op.kind === 'while' || op.kind === 'if' ? kinds(op.body) : []),
  ]);
}

describe('Quil programs', () => {
  it("runs qunicorn-core's Rigetti test programs (pyQuil's Bell circuits, as Quil)", () => {
    // tests/test_resources/deployment_request_dto_quil_test_data.json: Program(Declare("ro", "BIT", 2),
    // H(0), CNOT(0, 1), MEASURE(0, ("ro", 0)), MEASURE(1, ("ro", 1))) and the same with H(0) twice.
    const bell = parseProgram('QUIL', 'DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n');
    expect(bell.cregs).toEqual([{ name: 'ro', size: 2, offset: 0 }]);
    const p = probabilities(bell);
    expect(Object.keys(p).sort()).toEqual(['0x0', '0x3']);
    expect(p['0x0']).toBeCloseTo(0.5, 1);
    const twice = parseProgram('QUIL', 'DECLARE ro BIT[2]\nH 0\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n');
    expect(probabilities(twice)).toEqual({ '0x0': 1 });
  });

  it('GHZ with comments, PRAGMAs, NOP, and a register per BIT region', () => {
    const circuit = parseQuil(`# GHZ
DECLARE ro BIT[3]
DECLARE flag BIT
PRAGMA INITIAL_REWIRING "NAIVE"
H 0; CNOT 0 1
CNOT 1 2   # entangle
NOP
MEASURE 0 ro[0]
MEASURE 1 ro[1]
MEASURE 2 ro[2]
MOVE flag 1
`);
    expect(circuit.cregs.map((r) => r.name)).toEqual(['ro', 'flag']);
    const p = probabilities(circuit);
    expect(Object.keys(p).sort()).toEqual(['0x1 0x0', '0x1 0x7']);
  });

  it('teleports RY(1.1)|0> with JUMP-UNLESS / JUMP-WHEN corrections', () => {
    const circuit = parseQuil(`DECLARE ro BIT[3]
RY(1.1) 0
H 1
CNOT 1 2
CNOT 0 1
H 0
MEASURE 0 ro[0]
MEASURE 1 ro[1]
JUMP-UNLESS @skip-x ro[1]
X 2
LABEL @skip-x
JUMP-WHEN @do-z ro[0]
JUMP @skip-z
LABEL @do-z
Z 2
LABEL @skip-z
MEASURE 2 ro[2]
`);
    expect(kinds(circuit.ops)).not.toContain('while');
    const p = probabilities(circuit, 20000);
    let p1 = 0;
    for (const [k, v] of Object.entries(p)) if (parseInt(k, 16) & 4) p1 += v;
    expect(p1).toBeCloseTo(Math.sin(0.55) ** 2, 1.5);
  });

  it('a backward JUMP-WHEN is a loop: repeat until the measurement gives 0', () => {
    const circuit = parseQuil('DECLARE ro BIT\nLABEL @again\nH 0\nMEASURE 0 ro\nJUMP-WHEN @again ro[0]\n');
    expect(circuit.ops[0].kind).toBe('while');
    expect(probabilities(circuit)).toEqual({ '0x0': 1 });
  });

  it('a counting loop on INTEGER memory', () => {
    const circuit = parseQuil(`DECLARE n INTEGER
DECLARE ro BIT[2]
LABEL @loop
X 0
ADD n 1
LT ro[1] n 3
JUMP-WHEN @loop ro[1]
MEASURE 0 ro[0]
`);
    expect(probabilities(circuit)).toEqual({ '0x1': 1 });
  });

  it('if/else with JUMP-WHEN ... JUMP ... LABEL is a branch', () => {
    const circuit = parseQuil(`DECLARE ro BIT[2]
H 0
MEASURE 0 ro[0]
JUMP-WHEN @one ro[0]
X 1
JUMP @end
LABEL @one
I 1
LABEL @end
MEASURE 1 ro[1]
`);
    expect(kinds(circuit.ops)).toContain('branch');
    expect(kinds(circuit.ops)).not.toContain('while');
    const p = probabilities(circuit);
    expect(Object.keys(p).sort()).toEqual(['0x1', '0x2']);
  });

  it('a while loop with JUMP-UNLESS to its exit, and a break out of it', () => {
    const circuit = parseQuil(`DECLARE i INTEGER
DECLARE go BIT
DECLARE stop BIT
DECLARE ro BIT[3]
MOVE go 1
LABEL @top
JUMP-UNLESS @out go
X 0
ADD i 1
EQ stop i 5
JUMP-WHEN @out stop
JUMP @top
LABEL @out
MEASURE 0 ro[0]
EQ ro[1] i 5
`);
    expect(kinds(circuit.ops)).toEqual(expect.arrayContaining(['while', 'break']));
    // five X gates; the keys are ro, stop, go (the last-declared register first)
    expect(probabilities(circuit)).toEqual({ '0x3 0x1 0x1': 1 });
  });

  it('jumps that are no if or loop go through the block dispatcher', () => {
    const circuit = parseQuil(`DECLARE ro BIT[2]
JUMP @b
LABEL @a
X 0
JUMP @c
LABEL @b
JUMP @a
LABEL @c
MEASURE 0 ro[0]
`);
    expect(circuit.vars?.map((v) => v.name)).toContain('__pc');
    expect(probabilities(circuit)).toEqual({ '0x1': 1 });
  });

  it('HALT ends the shot', () => {
    const circuit = parseQuil('DECLARE ro BIT[2]\nX 0\nMEASURE 0 ro[0]\nHALT\nX 1\nMEASURE 1 ro[1]\n');
    expect(probabilities(circuit)).toEqual({ '0x1': 1 });
  });

  it('RESET, RESET q, MEASURE without target, WAIT, FENCE and DELAY', () => {
    const circuit = parseQuil(
      'DECLARE ro BIT[3]\nX 0\nX 1\nX 2\nRESET\nX 1\nMEASURE 2\nRESET 1\nWAIT\nFENCE 0 1\nDELAY 0 1.0\nX 2\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\nMEASURE 2 ro[2]\n',
    );
    expect(probabilities(circuit)).toEqual({ '0x4': 1 });
  });

  it('gate parameters read from memory are evaluated per shot', () => {
    const circuit = parseQuil(`DECLARE theta REAL[2]
DECLARE ro BIT[2]
MOVE theta[0] 0.6
MOVE theta[1] 1.0
RX(2*theta[0]) 0
CONTROLLED RY(theta[1] * 2 - theta[0] + 0.6) 0 1
MEASURE 0 ro[0]
MEASURE 1 ro[1]
`);
    expect(kinds(circuit.ops)).toContain('dgate');
    const p = probabilities(circuit, 20000);
    const p1 = Math.sin(0.6) ** 2;
    expect(p['0x0']).toBeCloseTo(1 - p1, 1.5);
    expect(p['0x1']).toBeCloseTo(p1 * Math.cos(1) ** 2, 1.5);
    expect(p['0x3']).toBeCloseTo(p1 * Math.sin(1) ** 2, 1.5);
  });

  it.each([
    'CONTROLLED RZ(%) 0 1',
    'CPHASE00(%) 0 1',
    'CPHASE10(%) 1 0',
    'PSWAP(%) 0 1',
    'XY(%) 1 0',
    'FSIM(%, 2*%) 0 1',
    'RXX(%) 0 1',
    'RYY(%) 1 0',
    'DAGGER CONTROLLED U(%, 0.3, -%) 1 0',
    'FORKED RY(%, 0.5) 0 1',
  ])('%s with a memory parameter interferes as with the constant', (gate) => {
    const program = (angle: string) => `DECLARE t REAL
DECLARE ro BIT[2]
MOVE t 1.3
H 0
RY(0.7) 1
${gate.replace(/%/g, angle)}
H 0
H 1
MEASURE 0 ro[0]
MEASURE 1 ro[1]
`;
    const dynamic = parseQuil(program('t'));
    expect(kinds(dynamic.ops)).toContain('dgate');
    const p = probabilities(dynamic, 20000);
    const q = probabilities(parseQuil(program('1.3')), 20000);
    for (const k of new Set([...Object.keys(p), ...Object.keys(q)])) {
      expect(Math.abs((p[k] ?? 0) - (q[k] ?? 0))).toBeLessThan(0.03);
    }
  });

  it('classical instructions: MOVE, STORE, LOAD, arithmetic, CONVERT, EXCHANGE, NOT, AND, comparisons', () => {
    const circuit = parseQuil(`DECLARE a INTEGER[3]
DECLARE i INTEGER
DECLARE x INTEGER
DECLARE r REAL
DECLARE ro BIT[8]
MOVE i 2
STORE a i 7
LOAD x a i
EQ ro[0] x 7
ADD x 3
MUL x 2
SUB x 6
DIV x 4
EQ ro[1] x 3
MOVE r 1.5
CONVERT x r
EQ ro[2] x 1
EXCHANGE a[0] a[2]
EQ ro[3] a[0] 7
EQ ro[4] a[2] 0
NOT ro[5]
MOVE ro[6] 1
AND ro[6] ro[0]
MEASURE 0 ro[7]
GT ro[7] r 2.0
`);
    expect(probabilities(circuit, 10)).toEqual({ '0x7f': 1 });
  });

  it('MEASURE into INTEGER memory and JUMP-WHEN on it', () => {
    const circuit = parseQuil(`DECLARE m INTEGER
DECLARE ro BIT
X 0
MEASURE 0 m
JUMP-WHEN @flip m
JUMP @done
LABEL @flip
X 1
LABEL @done
MEASURE 1 ro
`);
    expect(probabilities(circuit)).toEqual({ '0x1': 1 });
  });

  it('DEFCIRCUIT with parameters, qubit arguments, nested calls and local labels', () => {
    const circuit = parseQuil(`DECLARE ro BIT[3]
DEFCIRCUIT BELL a b:
    H a
    CNOT a b

DEFCIRCUIT ROT(%t) q:
    RX(%t) q
    RX(-%t/2) q
    RX(-%t/2) q

DEFCIRCUIT FLIP-IF c t:
    MEASURE c ro[2]
    JUMP-UNLESS @skip ro[2]
    X t
    LABEL @skip

BELL 1 0
ROT(0.9) 1
X 2
FLIP-IF 2 0
FLIP-IF 2 1
MEASURE 0 ro[0]
MEASURE 1 ro[1]
`);
    const p = probabilities(circuit);
    expect(Object.keys(p).sort()).toEqual(['0x4', '0x7']);
  });

  it('DEFGATE AS MATRIX with parameters and complex entries', () => {
    const circuit = parseQuil(`DEFGATE CRX(%theta):
    1, 0, 0, 0
    0, 1, 0, 0
    0, 0, cos(%theta/2), -i*sin(%theta/2)
    0, 0, -i*sin(%theta/2), cos(%theta/2)

CRX(0.8) 1 0
`);
    const [c, s] = [Math.cos(0.4), Math.sin(0.4)];
    const O: [number, number] = [0, 0];
    const L: [number, number] = [1, 0];
    const expected = fromRows([
      [L, O, O, O],
      [O, L, O, O],
      [O, O, [c, 0], [0, -s]],
      [O, O, [0, -s], [c, 0]],
    ]);
    expect(unitaryDistance(unitaryOf(circuit), expected)).toBeLessThan(1e-12);
  });

  it('modifiers apply to DEFGATEs: CONTROLLED, DAGGER, FORKED', () => {
    const def = `DEFGATE CRX(%theta):
    1, 0, 0, 0
    0, 1, 0, 0
    0, 0, cos(%theta/2), -i*sin(%theta/2)
    0, 0, -i*sin(%theta/2), cos(%theta/2)

`;
    const same = (a: string, b: string) =>
      expect(unitaryDistance(unitaryOf(parseQuil(def + a)), unitaryOf(parseQuil(def + b)))).toBeLessThan(1e-12);
    same('CONTROLLED CRX(0.8) 3 2 1\nI 0\n', 'CONTROLLED CONTROLLED RX(0.8) 3 2 1\nI 0\n');
    same('DAGGER CRX(0.8) 2 1\nI 0\n', 'CRX(-0.8) 2 1\nI 0\n');
    same('FORKED CRX(0.3, 1.1) 0 2 1\n', 'X 0\nCONTROLLED CRX(0.3) 0 2 1\nX 0\nCONTROLLED CRX(1.1) 0 2 1\n');
  });

  it('DEFGATE AS MATRIX of any 2- and 3-qubit unitary is lowered exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 }), (n, seed) => {
        const u = randomUnitary(2 ** n, seed);
        const rows = u.map(
          (row) => '    ' + row.map(([re, im]) => `${re.toPrecision(17)} + ${im.toPrecision(17)}i`).join(', '),
        );
        const qubits = Array.from({ length: n }, (_, k) => n - 1 - k).join(' ');
        const circuit = parseQuil(`DEFGATE G:\n${rows.join('\n')}\n\nG ${qubits}\n`);
        expect(unitaryDistance(unitaryOf(circuit), fromRows(u))).toBeLessThan(1e-10);
      }),
      { numRuns: 40 },
    );
  });

  it('DEFGATE AS PERMUTATION maps |j> to |p_j>', () => {
    const circuit = parseQuil('DEFGATE ROT3 AS PERMUTATION:\n    1, 2, 3, 4, 5, 6, 7, 0\n\nROT3 2 1 0\n');
    const rows = Array.from({ length: 8 }, (_, r) =>
      Array.from({ length: 8 }, (_, k): [number, number] => ((k + 1) % 8 === r ? [1, 0] : [0, 0])),
    );
    expect(unitaryDistance(unitaryOf(circuit), fromRows(rows))).toBeLessThan(1e-12);
    const ccnot = parseQuil('DEFGATE MYCCNOT AS PERMUTATION:\n    0, 1, 2, 3, 4, 5, 7, 6\nMYCCNOT 0 1 2\n');
    expect(ccnot.ops).toHaveLength(1);
    expect(unitaryDistance(unitaryOf(ccnot), unitaryOf(parseQuil('CCNOT 0 1 2\n')))).toBeLessThan(1e-12);
  });

  it('DEFGATE AS PAULI-SUM is exp(-i sum coef P): Z(t/2) is RZ(t), ZZ(t/2) is RZZ(t), any sum is unitary', () => {
    const src = `DEFGATE MYRZ(%t) q AS PAULI-SUM:
    Z(%t/2) q

DEFGATE MYRZZ(%t) p q AS PAULI-SUM:
    ZZ(%t/2) p q

DEFGATE MIX(%a, %b) p q AS PAULI-SUM:
    XY(%a) p q
    Z(%b) q
    YI(-0.3) p q
    I(0.2) p

DEFGATE XYG(%a) p q AS PAULI-SUM:
    XY(%a) p q

`;
    const close = (a: string, b: string) =>
      expect(unitaryDistance(unitaryOf(parseQuil(src + a)), unitaryOf(parseQuil(src + b)))).toBeLessThan(1e-10);
    close('MYRZ(0.7) 0\n', 'RZ(0.7) 0\n');
    close('MYRZZ(1.9) 1 0\n', 'RZZ(1.9) 1 0\n');
    close('MYRZZ(40) 1 0\n', 'RZZ(40) 1 0\n');
    // exp(-i (-0.3) Y_p + 0.2 I) = e^{-0.2i} RY(-0.6) on p
    const phase = (x: number) => `DEFGATE PH:\n    cis(${x}), 0\n    0, cis(${x})\n`;
    close('MIX(0, 0) 1 0\n', `${phase(-0.2)}RY(-0.6) 1\nPH 0\n`);
    // exp(-i pi/2 X_p Y_q) = -i X_p Y_q (X on the gate's first qubit, Y on its second)
    close('XYG(pi/2) 1 0\n', `${phase(-Math.PI / 2)}X 1\nY 0\nPH 0\n`);
    close('MIX(0.4, 1.1) 1 0\nDAGGER MIX(0.4, 1.1) 1 0\n', 'I 1\nI 0\n');
  });

  it('a program indented as a whole still has DEFGATE/DEFCIRCUIT bodies (deeper than their keyword)', () => {
    const circuit = parseQuil(`
      DECLARE ro BIT[2]
      DEFGATE SQX:
          0.5+0.5i, 0.5-0.5i
          0.5-0.5i, 0.5+0.5i
      DEFCIRCUIT TWICE q:
          SQX q
          SQX q
      TWICE 0
      MEASURE 0 ro[0]
      MEASURE 1 ro[1]
    `);
    expect(probabilities(circuit)).toEqual({ '0x1': 1 });
  });

  it('honours maxOperations (DEFCIRCUIT expansion included)', () => {
    const src = 'DEFCIRCUIT TWO q:\n    H q\n    H q\nDEFCIRCUIT FOUR q:\n    TWO q\n    TWO q\nFOUR 0\nFOUR 0\n';
    expect(parseQuil(src, { maxOperations: 100 }).ops).toHaveLength(8);
    try {
      parseQuil(src, { maxOperations: 5 });
      throw new Error('expected a CircuitError');
    } catch (e) {
      expect(e).toBeInstanceOf(CircuitError);
      expect((e as CircuitError).code).toBe('TOO_MANY_OPERATIONS');
    }
  });
});

/** A seeded Haar-ish random unitary: Gram-Schmidt on a random complex matrix. */
function randomUnitary(dim: number, seed: number): [number, number][][] {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32 - 0.5;
  };
  const cols: [number, number][][] = [];
  for (let k = 0; k < dim; k++) {
    let v: [number, number][] = Array.from({ length: dim }, () => [rnd(), rnd()]);
    for (const u of cols) {
      // v -= <u, v> u
      let dr = 0;
      let di = 0;
      for (let i = 0; i < dim; i++) {
        dr += u[i][0] * v[i][0] + u[i][1] * v[i][1];
        di += u[i][0] * v[i][1] - u[i][1] * v[i][0];
      }
      v = v.map(([re, im], i) => [re - (dr * u[i][0] - di * u[i][1]), im - (dr * u[i][1] + di * u[i][0])]);
    }
    const norm = Math.sqrt(v.reduce((acc, [re, im]) => acc + re * re + im * im, 0));
    cols.push(v.map(([re, im]) => [re / norm, im / norm]));
  }
  return Array.from({ length: dim }, (_, r) => cols.map((col) => col[r]));
}
