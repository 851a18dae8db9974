import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { CircuitError, type Circuit, type Op } from '../circuit/circuit';
import { emitProgram, parseProgram, TranslationError, translateProgram } from '../languages';
import { fromRows, unitaryDistance, unitaryOf, type State } from '../qasm/testing';
import { simulate } from '../simulator';
import { CircuitBuilder, randomCircuit } from '../simulator/testing/circuits';
import { emitIonq, parseIonq } from '.';

type C = [number, number];
const c = (re: number, im = 0): C => [re, im];
const cexp = (a: number): C => [Math.cos(a), Math.sin(a)];
const cmul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const cscale = (a: C, s: number): C => [a[0] * s, a[1] * s];
const minusI: C = [0, -1];

/** The unitary of the gates of an IonQ program (its final measurements left out). */
function gatesUnitary(circuit: Circuit): State[] {
  return unitaryOf(
    circuit.ops.filter((o) => o.kind !== 'measure'),
    circuit.numQubits,
  );
}

const program = (qubits: number, gates: object[], extra: object = {}) =>
  JSON.stringify({ format: 'ionq.circuit.v0', gateset: 'qis', qubits, circuit: gates, ...extra });

/** Distance after removing one global phase. */
function distanceUpToPhase(a: State[], b: State[]): number {
  let best = -1;
  let ph: C = [1, 0];
  a.forEach((col, k) =>
    col.re.forEach((re, i) => {
      const m = Math.hypot(re, col.im[i]);
      if (m > best) {
        best = m;
        const x: C = [re, col.im[i]];
        const y: C = [b[k].re[i], -b[k].im[i]];
        const p = cmul(x, y);
        const n = Math.hypot(p[0], p[1]) || 1;
        ph = [p[0] / n, p[1] / n];
      }
    }),
  );
  let d = 0;
  a.forEach((col, k) =>
    col.re.forEach((re, i) => {
      const y = cmul([b[k].re[i], b[k].im[i]], ph);
      d = Math.max(d, Math.hypot(re - y[0], col.im[i] - y[1]));
    }),
  );
  return d;
}

/** exp(-i t P⊗P) for a 2x2 Hermitian, involutory P given as rows (dense 4x4, qubit 0 = low bit). */
function expPauliPair(p: C[][], t: number): State[] {
  const rows: C[][] = [];
  for (let r = 0; r < 4; r++) {
    rows.push([]);
    for (let k = 0; k < 4; k++) {
      // (P⊗P)[r][k] with qubit 0 the low bit: P[r0][k0] * P[r1][k1]
      const pp = cmul(p[r & 1][k & 1], p[r >> 1][k >> 1]);
      const id = r === k ? Math.cos(t) : 0;
      const off = cmul(minusI, cscale(pp, Math.sin(t)));
      rows[r].push([id + off[0], off[1]]);
    }
  }
  return fromRows(rows);
}

const PX: C[][] = [
  [c(0), c(1)],
  [c(1), c(0)],
];
const PY: C[][] = [
  [c(0), c(0, -1)],
  [c(0, 1), c(0)],
];
const PZ: C[][] = [
  [c(1), c(0)],
  [c(0), c(-1)],
];

describe('IonQ front end: gates against their documented matrices', () => {
  const r = Math.SQRT1_2;
  const single: [string, C[][], number?][] = [
    ['x', PX],
    ['not', PX],
    ['y', PY],
    ['z', PZ],
    [
      'h',
      [
        [c(r), c(r)],
        [c(r), c(-r)],
      ],
    ],
    [
      's',
      [
        [c(1), c(0)],
        [c(0), c(0, 1)],
      ],
    ],
    [
      'si',
      [
        [c(1), c(0)],
        [c(0), c(0, -1)],
      ],
    ],
    [
      't',
      [
        [c(1), c(0)],
        [c(0), cexp(Math.PI / 4)],
      ],
    ],
    [
      'ti',
      [
        [c(1), c(0)],
        [c(0), cexp(-Math.PI / 4)],
      ],
    ],
    [
      'v',
      [
        [c(0.5, 0.5), c(0.5, -0.5)],
        [c(0.5, -0.5), c(0.5, 0.5)],
      ],
    ],
    [
      'vi',
      [
        [c(0.5, -0.5), c(0.5, 0.5)],
        [c(0.5, 0.5), c(0.5, -0.5)],
      ],
    ],
  ];
  it.each(single)('%s', (gate, rows) => {
    const circuit = parseIonq(program(1, [{ gate, target: 0 }]));
    expect(unitaryDistance(gatesUnitary(circuit), fromRows(rows))).toBeLessThan(1e-12);
  });

  it('rx, ry, rz take a rotation in radians: exp(-iθP/2)', () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), (theta) => {
        for (const [gate, p] of [
          ['rx', PX],
          ['ry', PY],
          ['rz', PZ],
        ] as const) {
          const got = gatesUnitary(parseIonq(program(1, [{ gate, target: 0, rotation: theta }])));
          const rows = [0, 1].map((i) =>
            [0, 1].map((k) => {
              const off = cmul(minusI, cscale(p[i][k], Math.sin(theta / 2)));
              return [(i === k ? Math.cos(theta / 2) : 0) + off[0], off[1]] as C;
            }),
          );
          expect(unitaryDistance(got, fromRows(rows))).toBeLessThan(1e-12);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('xx, yy, zz are exp(-iθ/2 P⊗P), exactly', () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.boolean(), (theta, flip) => {
        for (const [gate, p] of [
          ['xx', PX],
          ['yy', PY],
          ['zz', PZ],
        ] as const) {
          const got = gatesUnitary(parseIonq(program(2, [{ gate, targets: flip ? [1, 0] : [0, 1], rotation: theta }])));
          expect(unitaryDistance(got, expPauliPair(p, theta / 2))).toBeLessThan(1e-12);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('cnot with one control, a Toffoli with controls (the documented example), swap and a controlled swap', () => {
    const bell = parseIonq(program(2, [{ gate: 'cnot', control: 0, target: 1 }]));
    expect(bell.ops[0]).toMatchObject({ kind: 'gate', target: 1, controls: [0] });
    const toffoli = parseIonq('{"qubits": 3, "circuit": [{"gate": "cnot", "target": 0, "controls": [1, 2]}]}');
    const expected = new CircuitBuilder(3).ccx(1, 2, 0).build();
    expect(unitaryDistance(gatesUnitary(toffoli), unitaryOf(expected))).toBeLessThan(1e-15);
    const swaps = parseIonq(
      program(3, [
        { gate: 'swap', targets: [0, 2] },
        { gate: 'swap', targets: [0, 1], controls: [2] },
      ]),
    );
    const ref = new CircuitBuilder(3).swap(0, 2).swap(0, 1, [2]).build();
    expect(unitaryDistance(gatesUnitary(swaps), unitaryOf(ref))).toBeLessThan(1e-15);
    const crz = parseIonq(program(2, [{ gate: 'rz', targets: [1], controls: [0], rotation: 0.5 }]));
    expect(
      unitaryDistance(
        gatesUnitary(crz),
        unitaryOf(
          new CircuitBuilder(2)
            .gate('crz', crz.ops[0].kind === 'gate' ? crz.ops[0].matrix : [1, 0, 0, 0, 0, 0, 1, 0], 1, [0])
            .build(),
        ),
      ),
    ).toBeLessThan(1e-15);
  });

  describe('native gates (phases in turns)', () => {
    const turns = fc.double({ min: -1, max: 1, noNaN: true });
    it('gpi(φ) = [[0, e^{-2πiφ}], [e^{2πiφ}, 0]] and gpi2(φ) = 1/√2 [[1, -i e^{-2πiφ}], [-i e^{2πiφ}, 1]]', () => {
      fc.assert(
        fc.property(turns, (phi) => {
          const a = 2 * Math.PI * phi;
          const native = (gate: string) =>
            gatesUnitary(
              parseIonq(JSON.stringify({ gateset: 'native', qubits: 1, circuit: [{ gate, target: 0, phase: phi }] })),
            );
          expect(
            unitaryDistance(
              native('gpi'),
              fromRows([
                [c(0), cexp(-a)],
                [cexp(a), c(0)],
              ]),
            ),
          ).toBeLessThan(1e-12);
          expect(
            unitaryDistance(
              native('gpi2'),
              fromRows([
                [c(r), cscale(cmul(minusI, cexp(-a)), r)],
                [cscale(cmul(minusI, cexp(a)), r), c(r)],
              ]),
            ),
          ).toBeLessThan(1e-12);
        }),
        { numRuns: 30 },
      );
    });

    it("ms(φ0, φ1, θ) has the matrix of IonQ's definition (default θ = 0.25, fully entangling)", () => {
      fc.assert(
        fc.property(turns, turns, fc.option(fc.double({ min: 0, max: 0.25, noNaN: true })), (p0, p1, angle) => {
          const theta = angle ?? 0.25;
          const gate = { gate: 'ms', targets: [0, 1], phases: [p0, p1], ...(angle === null ? {} : { angle }) };
          const got = gatesUnitary(parseIonq(JSON.stringify({ gateset: 'native', qubits: 2, circuit: [gate] })));
          const cs = Math.cos(Math.PI * theta);
          const sn = Math.sin(Math.PI * theta);
          const e = (a: number) => cscale(cmul(minusI, cexp(2 * Math.PI * a)), sn);
          // Rows and columns indexed by q1 q0 (qubit 0 = first target = low bit), as qiskit-ionq writes it.
          const rows: C[][] = [
            [c(cs), c(0), c(0), e(-(p0 + p1))],
            [c(0), c(cs), e(p0 - p1), c(0)],
            [c(0), e(-(p0 - p1)), c(cs), c(0)],
            [e(p0 + p1), c(0), c(0), c(cs)],
          ];
          expect(unitaryDistance(got, fromRows(rows))).toBeLessThan(1e-12);
        }),
        { numRuns: 30 },
      );
    });

    it('zz(θ) = diag(e^{-iπθ}, e^{iπθ}, e^{iπθ}, e^{-iπθ})', () => {
      fc.assert(
        fc.property(turns, (theta) => {
          const got = gatesUnitary(
            parseIonq(
              JSON.stringify({
                gateset: 'native',
                qubits: 2,
                circuit: [{ gate: 'zz', targets: [1, 0], angle: theta }],
              }),
            ),
          );
          const a = Math.PI * theta;
          const d = [cexp(-a), cexp(a), cexp(a), cexp(-a)];
          expect(unitaryDistance(got, fromRows(d.map((v, i) => d.map((_, k) => (i === k ? v : c(0))))))).toBeLessThan(
            1e-12,
          );
        }),
        { numRuns: 20 },
      );
    });
  });
});

describe('IonQ front end: programs, results and errors', () => {
  it('measures every qubit at the end, qubit i into bit i of one register c: x on qubit 0 only reads 1', () => {
    const circuit = parseIonq(program(3, [{ gate: 'x', target: 0 }]));
    expect(circuit.cregs).toEqual([{ name: 'c', size: 3, offset: 0 }]);
    expect(circuit.ops.slice(1)).toEqual([0, 1, 2].map((q) => ({ kind: 'measure', qubit: q, clbit: q })));
    const [counts] = simulate({ circuit, shots: 100, seed: 1, type: 'RUNNER', maxQubits: 26 });
    // IonQ's histogram key for this circuit is "1" (qubit 0 is the least significant bit): the same integer.
    expect(counts.data).toEqual({ '0x1': 100 });
  });

  it('reads a job body (v0.3 and v0.4) and a multi-circuit job with one circuit', () => {
    const gates = [{ gate: 'h', target: 0 }];
    const bodies = [
      JSON.stringify({
        target: 'simulator',
        shots: 100,
        input: { format: 'ionq.circuit.v0', qubits: 1, circuit: gates },
      }),
      JSON.stringify({
        type: 'ionq.circuit.v1',
        backend: 'simulator',
        shots: 10,
        input: { qubits: 1, gateset: 'qis', circuit: gates },
      }),
      JSON.stringify({ input: { qubits: 1, circuits: [{ name: 'one', circuit: gates }] } }),
      '// IonQ\'s examples carry comments\n{"qubits": 1, /* one */ "circuit": [{"gate": "h", "target": 0}]}',
    ];
    for (const b of bodies) expect(parseIonq(b).ops[0]).toMatchObject({ kind: 'gate', name: 'h', target: 0 });
  });

  const errorAt = (src: string): [string, number, number] => {
    try {
      parseIonq(src);
    } catch (e) {
      expect(e).toBeInstanceOf(CircuitError);
      const err = e as CircuitError;
      return [err.reason, err.line, err.column];
    }
    throw new Error('no error');
  };

  it('locates errors at the offending JSON value', () => {
    const src =
      '{\n  "qubits": 2,\n  "circuit": [\n    {"gate": "h", "target": 0},\n    {"gate": "hh", "target": 1}\n  ]\n}';
    expect(errorAt(src)).toEqual(["unknown gate 'hh' in the qis gateset", 5, 14]);
    expect(errorAt('{"qubits": 2, "circuit": [{"gate": "x", "target": 2}]}')).toEqual([
      'qubit 2 is out of range (the circuit has 2 qubits)',
      1,
      51,
    ]);
    expect(errorAt('{"qubits": 1, "circuit": [{"gate": "rx", "target": 0}]}')[0]).toMatch(/'rx' needs a 'rotation'/);
    expect(errorAt('{"qubits": 1, "circuit": [{"gate": "h", "target": 0, "rotation": 1}]}')).toEqual([
      "'h' takes no 'rotation'",
      1,
      54,
    ]);
    expect(errorAt('{"qubits": 1, "qubits": 2}')).toEqual(['duplicate key "qubits"', 1, 15]);
    expect(errorAt('{"qubits": 1, "circuit": []} x')).toEqual(['unexpected text after the JSON value', 1, 30]);
    expect(errorAt('{"qubits": 1, "circuit": [{"gate": "gpi", "target": 0, "phase": 0}]}')[0]).toMatch(
      /not a gate of the qis gateset/,
    );
    expect(errorAt('{"qubits": 2, "circuit": [{"gate": "cnot", "control": 1, "target": 1}]}')[0]).toMatch(
      /both a control and a target/,
    );
    expect(
      errorAt('{"qubits": 2, "circuit": [{"gate": "xx", "targets": [0, 1], "rotation": 1, "controls": [1]}]}')[0],
    ).toMatch(/'xx' takes no 'controls'/);
    expect(errorAt('{"qubits": 0, "circuit": []}')[0]).toMatch(/positive integer/);
    expect(errorAt('{"circuit": []}')).toEqual(["the circuit has no 'qubits' (its number of qubits)", 1, 1]);
    const multi = '{"input": {"qubits": 1, "circuits": [\n{"circuit": []},\n{"circuit": []}]}}';
    expect(errorAt(multi)).toEqual([
      'a multi-circuit job with 2 circuits: a program here is one circuit (submit each on its own)',
      3,
      1,
    ]);
    expect(errorAt('['.repeat(100) + ']'.repeat(100))[0]).toMatch(/nested more than 64 deep/);
    expect(errorAt('{"qubits": 1, "circuit": [{"gate": "h", "target": 0}]')).toEqual([
      "expected ',' or '}' in an object",
      1,
      54,
    ]);
  });

  it('honours maxOperations', () => {
    const src = program(
      2,
      Array.from({ length: 10 }, () => ({ gate: 'xx', targets: [0, 1], rotation: 1 })),
    );
    let err: unknown;
    try {
      parseIonq(src, { maxOperations: 20 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CircuitError);
    expect((err as CircuitError).code).toBe('TOO_MANY_OPERATIONS');
  });

  it('throws only CircuitError on any text (fast-check over mutated programs and arbitrary strings)', () => {
    const valid = program(2, [
      { gate: 'h', target: 0 },
      { gate: 'cnot', control: 0, target: 1 },
      { gate: 'rz', target: 1, rotation: 0.5 },
    ]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .tuple(fc.nat({ max: valid.length }), fc.nat({ max: 5 }), fc.string({ maxLength: 4 }))
            .map(([at, del, ins]) => valid.slice(0, at) + ins + valid.slice(at + del)),
        ),
        (src) => {
          try {
            parseIonq(src);
          } catch (e) {
            expect(e).toBeInstanceOf(CircuitError);
            const err = e as CircuitError;
            expect(err.line).toBeGreaterThanOrEqual(1);
            expect(err.column).toBeGreaterThanOrEqual(1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('IonQ emitter', () => {
  it('writes the qis gateset and reads back with the same unitary up to global phase (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 25 }), fc.nat(), (n, g, seed) => {
        const circuit = randomCircuit(n, g, seed, { maxControls: 3 });
        const { text } = emitIonq(circuit);
        const back = parseIonq(text);
        expect(back.numQubits).toBe(n);
        expect(distanceUpToPhase(unitaryOf(circuit), gatesUnitary(back))).toBeLessThan(1e-8);
      }),
      { numRuns: 60 },
    );
  });

  it('writes readable gates, cnot with controls, and no warning for a circuit measuring every qubit in order', () => {
    const b = new CircuitBuilder(3, 3);
    b.h(0).cx(0, 1).ccx(0, 1, 2).rz(0.5, 2).sx(1).swap(0, 2);
    for (let q = 0; q < 3; q++) b.measure(q, q);
    const { text, warnings } = emitIonq(b.build());
    expect(text).toBe(
      [
        '{',
        '  "format": "ionq.circuit.v0",',
        '  "gateset": "qis",',
        '  "qubits": 3,',
        '  "circuit": [',
        '    {"gate": "h", "target": 0},',
        '    {"gate": "cnot", "control": 0, "target": 1},',
        '    {"gate": "cnot", "controls": [0,1], "target": 2},',
        '    {"gate": "rz", "target": 2, "rotation": 0.5},',
        '    {"gate": "v", "target": 1},',
        '    {"gate": "swap", "targets": [0,2]}',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
    expect(warnings).toEqual([]);
  });

  it('keeps the distribution of a circuit measured in order (bit order checked on an asymmetric circuit)', () => {
    const b = new CircuitBuilder(2, 2);
    b.x(0).measure(0, 0).measure(1, 1);
    const original = b.build();
    const back = parseIonq(emitIonq(original).text);
    const run = (c: Circuit) => simulate({ circuit: c, shots: 50, seed: 3, type: 'RUNNER', maxQubits: 26 })[0].data;
    expect(run(back)).toEqual(run(original));
    expect(run(back)).toEqual({ '0x1': 50 });
  });

  it('lets a measured qubit control later gates (the measurement commutes with the control), with the same distribution', () => {
    const b = new CircuitBuilder(2, 2);
    b.h(0).measure(0, 0).cx(0, 1).measure(1, 1);
    const original = b.build();
    const back = parseIonq(emitIonq(original).text);
    const probabilities = (c: Circuit) =>
      simulate({ circuit: c, shots: 4000, seed: 9, type: 'RUNNER', maxQubits: 26 })[1].data as Record<string, number>;
    const p = probabilities(back);
    expect(Object.keys(p).sort()).toEqual(['0x0', '0x3']);
    expect(Object.keys(probabilities(original)).sort()).toEqual(['0x0', '0x3']);
    expect(p['0x0']).toBeCloseTo(0.5, 1);
  });

  it.each(['qft', 'qpt', 'rb'])(
    "the openqasm/openqasm example %s keeps its distribution through IonQ JSON (its measurements are IonQ's)",
    (name) => {
      const src = readFileSync(join(__dirname, `../../../test/fixtures/openqasm/${name}.qasm`), 'utf8');
      const c = parseProgram('QASM3', src);
      const back = parseIonq(emitIonq(c).text);
      const probabilities = (x: Circuit) =>
        simulate({ circuit: x, shots: 4000, seed: 7, type: 'RUNNER', maxQubits: 26 })[1].data as Record<string, number>;
      const a = probabilities(c);
      const b = probabilities(back);
      let tv = 0;
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) tv += Math.abs((a[k] ?? 0) - (b[k] ?? 0)) / 2;
      expect(tv).toBeLessThan(0.05);
    },
  );

  it('warns when the circuit measures only some qubits, into other bits, or nothing', () => {
    const some = new CircuitBuilder(2, 1).h(0).measure(1, 0).build();
    expect(emitIonq(some).warnings).toEqual([
      "IonQ measures all 2 qubits at the end, qubit i into bit i of one register: the circuit's own 1 measurement into its classical bits are not kept",
    ]);
    const none = new CircuitBuilder(2).h(0).barrier(0, 1).cz(0, 1).build();
    expect(emitIonq(none).warnings).toEqual([
      '1 controlled gate decomposed into cnot and rotations',
      '1 barrier dropped (IonQ circuits have none)',
      'the circuit measures nothing; IonQ measures all 2 qubits at the end (qubit i into bit i)',
    ]);
  });

  it('drops resets at the start, where qubits are already |0>, with a warning', () => {
    const b = new CircuitBuilder(2, 2);
    b.reset(0).reset(1).h(0).cx(0, 1).measure(0, 0).measure(1, 1);
    const { text, warnings } = emitIonq(b.build());
    expect(warnings).toEqual(['2 resets at the start dropped (qubits start in |0>)']);
    expect(parseIonq(text).ops.filter((o) => o.kind !== 'measure')).toHaveLength(2);
  });

  it('refuses mid-circuit measurement, reset and classical control, naming them', () => {
    const cases: [Op[], string][] = [
      [
        [
          { kind: 'measure', qubit: 0, clbit: 0 },
          { kind: 'gate', name: 'x', matrix: [0, 0, 1, 0, 1, 0, 0, 0], target: 0, controls: [] },
        ],
        'mid-circuit measurement',
      ],
      [
        [
          { kind: 'gate', name: 'x', matrix: [0, 0, 1, 0, 1, 0, 0, 0], target: 0, controls: [] },
          { kind: 'reset', qubit: 0 },
        ],
        'reset',
      ],
      [[{ kind: 'if', clbits: [0], value: 1, body: [] }], 'classical control'],
      [[{ kind: 'while', cond: { k: 'num', v: 0 }, body: [] }], 'classical control'],
      [[{ kind: 'set', target: { clbits: [0] }, value: { k: 'num', v: 1 } }], 'classical variables'],
    ];
    for (const [ops, construct] of cases) {
      const circuit: Circuit = {
        numQubits: 1,
        numClbits: 1,
        qregs: [{ name: 'q', size: 1, offset: 0 }],
        cregs: [{ name: 'c', size: 1, offset: 0 }],
        ops,
      };
      let err: unknown;
      try {
        emitIonq(circuit);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TranslationError);
      expect(err).toMatchObject({ construct, language: 'IONQ' });
    }
  });

  it('is registered: OpenQASM to IonQ and back', () => {
    const src =
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0], q[1];\nmeasure q -> c;\n';
    const t = translateProgram('QASM2', 'IONQ', src);
    expect(t.warnings).toEqual([]);
    const back = parseProgram('IONQ', t.quantumCircuit);
    expect(distanceUpToPhase(gatesUnitary(parseProgram('QASM2', src)), gatesUnitary(back))).toBeLessThan(1e-12);
    expect(emitProgram('IONQ', back).text).toBe(t.quantumCircuit);
  });
});
