import { CircuitError } from '../circuit/circuit';
import { BELL_QASM2 } from '../examples';
import { parseProgram } from '../languages';
import {
  countOperations,
  ParseTimeoutError,
  parseTask,
  ProgramTooWideError,
  programTask,
  simulate,
  SimulationAbortedError,
  SimulationWorkerError,
  translateTask,
  SimulatorPool,
  type ProgramRequest,
} from './index';

// The pool's program tasks: parse (and simulate) from program text inside the worker thread, so the
// caller never holds the unrolled circuit. Under jest the worker runs from its TypeScript source
// (see pool.spec.ts).

/** `gate g0 a { h a; } gate g1 a { g0 a; g0 a; } ...`: 1 KB of text that unrolls to 2^n + 2^(n-1) + 2^(n-2) gates. */
function nested(n: number): string {
  let src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\ngate g0 a { h a; }\n';
  for (let i = 1; i <= n; i++) src += `gate g${i} a { g${i - 1} a; g${i - 1} a; }\n`;
  return `${src}g${n} q[0]; g${n - 1} q[0]; g${n - 2} q[0];\nmeasure q -> c;\n`;
}
const nestedOps = (n: number) => 2 ** n + 2 ** (n - 1) + 2 ** (n - 2) + 1;

const bell = (extra: Partial<ProgramRequest> = {}): ProgramRequest => ({
  program: { language: 'QASM2', source: BELL_QASM2 },
  shots: 1000,
  seed: 7,
  type: 'RUNNER',
  maxQubits: 20,
  ...extra,
});

const failure = async (p: Promise<unknown>): Promise<Error> => {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a rejection');
  return outcome;
};

describe('program tasks in this thread', () => {
  it('parseTask answers the size of a program, not its circuit', () => {
    const summary = parseTask({ language: 'QASM2', source: nested(6) });
    expect(summary).toEqual({ operations: nestedOps(6), numQubits: 1, numClbits: 1, parseMs: expect.any(Number) });
  });

  it('programTask gives the results simulate gives for the parsed circuit', () => {
    const circuit = parseProgram('QASM2', BELL_QASM2);
    const { program, ...rest } = bell();
    expect(program.language).toBe('QASM2');
    const viaText = programTask(bell());
    expect(viaText.results).toEqual(
      simulate({ ...rest, circuit }).map((r) => ({ ...r, meta: { ...r.meta, timeTakenMs: expect.any(Number) } })),
    );
    expect(viaText.operations).toBe(countOperations(circuit.ops));
  });

  it('countOperations counts operations inside conditionals', () => {
    const c = parseProgram(
      'QASM2',
      'OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nmeasure q -> c;\nif (c == 1) U(0,0,0) q[0];\n',
    );
    expect(c.ops.map((o) => o.kind)).toEqual(['measure', 'if']);
    expect(countOperations(c.ops)).toBe(3);
  });
});

describe('SimulatorPool program tasks', () => {
  let pool: SimulatorPool;
  beforeEach(() => {
    pool = new SimulatorPool({ size: 1 });
  });
  afterEach(async () => {
    await pool.close();
  });

  it('runProgram parses and simulates in the worker, answering results and size', async () => {
    const parsed: unknown[] = [];
    const out = await pool.runProgram(bell(), { onParsed: (s) => parsed.push(s) });
    expect(out.results.map((r) => r.resultType)).toEqual(['COUNTS', 'PROBABILITIES']);
    expect(Object.keys(out.results[0].data).sort()).toEqual(['0x0', '0x3']);
    expect(Object.values(out.results[0].data).reduce((a, b) => a + b, 0)).toBe(1000);
    expect(out).toMatchObject({ operations: 4, numQubits: 2, numClbits: 2 });
    expect(parsed).toEqual([{ operations: 4, numQubits: 2, numClbits: 2, parseMs: expect.any(Number) }]);
    // the same seed gives the same counts as the circuit simulated in this thread
    const circuit = parseProgram('QASM2', BELL_QASM2);
    expect(out.results[0].data).toEqual(simulate({ ...bell(), circuit }).at(0)!.data);
  });

  it('rebuilds the parser error with line, column, reason and code', async () => {
    const bad = await failure(pool.parse({ language: 'QASM2', source: 'OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n' }));
    expect(bad).toBeInstanceOf(CircuitError);
    expect(bad).toMatchObject({ line: 3, column: 1, code: undefined });
    expect((bad as CircuitError).reason).toContain('foo');
    expect(bad.message).toMatch(/\(line 3, column 1\)$/);

    const big = await failure(
      pool.runProgram(bell({ program: { language: 'QASM2', source: nested(10), maxOperations: 1000 } })),
    );
    expect(big).toBeInstanceOf(CircuitError);
    expect(big).toMatchObject({ code: 'TOO_MANY_OPERATIONS' });
    expect((big as CircuitError).reason).toBe('program too large: it expands to more than 1000 operations');
  });

  it('refuses a program wider than maxQubits before simulating it', async () => {
    const err = await failure(pool.runProgram(bell({ maxQubits: 1 })));
    expect(err).toBeInstanceOf(ProgramTooWideError);
    expect(err).toMatchObject({ qubits: 2, maxQubits: 1 });
    expect(err.message).toBe('the program uses 2 qubits, more than the limit of 1');
  });

  it('a parse over its time limit rejects with ParseTimeoutError; the thread is replaced', async () => {
    await pool.parse({ language: 'QASM2', source: BELL_QASM2 }); // the thread is up
    const err = await failure(pool.parse({ language: 'QASM2', source: nested(20) }, { timeoutMs: 100 }));
    expect(err).toBeInstanceOf(ParseTimeoutError);
    expect(err.message).toBe('the program took too long to parse (more than 100 ms)');
    expect(pool.stats.workers).toBe(0);
    const again = await failure(
      pool.runProgram(bell({ program: { language: 'QASM2', source: nested(20) } }), { parseTimeoutMs: 100 }),
    );
    expect(again).toBeInstanceOf(ParseTimeoutError);
    // a replacement thread answers, and the limit covers the parse only, not the simulation after it
    const out = await pool.runProgram(bell(), { parseTimeoutMs: 60_000 });
    expect(Object.keys(out.results[0].data).sort()).toEqual(['0x0', '0x3']);
  });

  it('the parse limit stops at the parse: a longer simulation after it runs to the end', async () => {
    await pool.parse({ language: 'QASM2', source: BELL_QASM2 }); // the thread is up
    // 16 qubits, ~5,000 gates: parses in milliseconds, simulates for longer than the 150 ms limit
    const source = `OPENQASM 3;\ninclude "stdgates.inc";\nqubit[16] q;\nbit[16] c;\nfor int i in [0:159] { rx(0.1 * i) q; for int j in [0:14] { cx q[j], q[j + 1]; } }\nc = measure q;\n`;
    let parsedAt = 0;
    const out = await pool.runProgram(bell({ program: { language: 'QASM3', source }, shots: 10 }), {
      parseTimeoutMs: 150,
      onParsed: () => (parsedAt = performance.now()),
    });
    expect(parsedAt).toBeGreaterThan(0);
    expect(out.operations).toBe(160 * 31 + 16);
    expect(Object.values(out.results[0].data).reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('a thread that runs out of memory parsing rejects with the limit named; the pool replaces it', async () => {
    const small = new SimulatorPool({
      size: 1,
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
    });
    try {
      const err = await failure(small.parse({ language: 'QASM2', source: nested(19) }));
      expect(err).toBeInstanceOf(SimulationWorkerError);
      expect(err).toMatchObject({ code: 'ERR_WORKER_OUT_OF_MEMORY' });
      expect(err.message).toMatch(/^simulation worker ran out of memory \(its heap may hold 32 MB\)/);
      expect(small.stats.workers).toBe(0);
      const out = await small.runProgram(bell());
      expect(Object.keys(out.results[0].data).sort()).toEqual(['0x0', '0x3']);
    } finally {
      await small.close();
    }
  });

  it('an abort stops a parse (the thread is terminated after the grace period)', async () => {
    const quick = new SimulatorPool({ size: 1, abortGraceMs: 50 });
    try {
      const controller = new AbortController();
      const running = quick.parse({ language: 'QASM2', source: nested(20) }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await expect(running).rejects.toBeInstanceOf(SimulationAbortedError);
      expect((await quick.parse({ language: 'QASM2', source: BELL_QASM2 })).operations).toBe(4);
    } finally {
      await quick.close();
    }
  });
});

describe('translateTask with the layout (what provider adapters send and read back)', () => {
  it('answers the registers and the terminal measurements of the circuit', () => {
    const src =
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg a[1];\ncreg b[2];\nh q[0];\ncx q[0],q[2];\nmeasure q[2] -> b[1];\nmeasure q[0] -> a[0];\n';
    const t = translateTask({ language: 'QASM2', source: src, to: 'QASM3', withLayout: true });
    expect(t.quantumCircuit).toContain('OPENQASM 3');
    expect(t.layout).toEqual({
      numQubits: 3,
      numClbits: 3,
      cregs: [
        { name: 'a', size: 1, offset: 0 },
        { name: 'b', size: 2, offset: 1 },
      ],
      measurements: [
        { qubit: 2, clbit: 2 },
        { qubit: 0, clbit: 0 },
      ],
      dynamic: false,
    });
    expect(translateTask({ language: 'QASM2', source: src, to: 'QASM3' }).layout).toBeUndefined();
  });

  it('answers no measurement list for a circuit that measures mid-circuit', () => {
    const src =
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\nx q[0];\nmeasure q[0] -> c[0];\n';
    expect(
      translateTask({ language: 'QASM2', source: src, to: 'QASM3', withLayout: true }).layout?.measurements,
    ).toBeNull();
  });
});
