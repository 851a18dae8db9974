import { readFileSync } from 'fs';
import { join } from 'path';
import { CircuitError, type Circuit } from '../circuit/circuit';
import { keyRegisters, simulate, type CountsResult } from '../simulator';
import { parseQasm } from '.';

/** The OpenQASM 3 examples of openqasm/openqasm (see test/fixtures/openqasm/README.md). */
const DIR = join(__dirname, '../../../test/fixtures/openqasm');
const example = (name: string) => readFileSync(join(DIR, `${name}.qasm`), 'utf8');

function counts(c: Circuit, shots = 200, seed = 5): Record<string, number> {
  const r = simulate({ circuit: c, shots, seed, type: 'RUNNER', maxQubits: 26 });
  return (r[0] as CountsResult).data;
}

/** The value of each classical register in a counts key, by name. */
function registers(c: Circuit, key: string): Record<string, number> {
  const words = key.split(' ');
  const out: Record<string, number> = {};
  keyRegisters(c).forEach((r, i) => (out[r.name] = parseInt(words[i], 16)));
  return out;
}

function refusal(src: string): CircuitError {
  try {
    parseQasm(src);
  } catch (e) {
    expect(e).toBeInstanceOf(CircuitError);
    return e as CircuitError;
  }
  throw new Error('expected a CircuitError');
}

describe('openqasm/openqasm examples', () => {
  it('adder: 1 + 15 = 16, every shot', () => {
    const c = parseQasm(example('adder'));
    const d = counts(c, 50);
    expect(Object.keys(d)).toHaveLength(1);
    expect(registers(c, Object.keys(d)[0]).ans).toBe(16);
  });

  it('qec: the syndrome corrects the inserted error, every shot', () => {
    const c = parseQasm(example('qec'));
    const d = counts(c, 100);
    expect(Object.keys(d)).toHaveLength(1);
    const regs = registers(c, Object.keys(d)[0]);
    // The error on q[0] gives syndrome 01 and is corrected: the data reads 000.
    expect(regs).toEqual({ c: 0, syn: 1 });
  });

  it('rb: the sequence is the identity, every shot', () => {
    const c = parseQasm(example('rb'));
    expect(counts(c, 100)).toEqual({ '0x0': 100 });
  });

  it('teleport: c2 follows U(0.3, 0.2, 0.1)|0> (P(1) = sin²(0.15))', () => {
    const c = parseQasm(example('teleport'));
    const shots = 4000;
    const d = counts(c, shots, 9);
    let ones = 0;
    for (const [k, n] of Object.entries(d)) if (registers(c, k).c2) ones += n;
    const p = Math.sin(0.15) ** 2;
    expect(Math.abs(ones - shots * p)).toBeLessThan(5 * Math.sqrt(shots * p * (1 - p)));
  });

  it('inverseqft1 and inverseqft2: the semiclassical inverse QFT of H|0000> reads 0', () => {
    for (const name of ['inverseqft1', 'inverseqft2']) {
      const c = parseQasm(example(name));
      const d = counts(c, 100);
      expect(Object.keys(d)).toHaveLength(1);
      expect(Object.values(registers(c, Object.keys(d)[0])).every((v) => v === 0)).toBe(true);
    }
  });

  it('qft: runs and reads a uniform distribution of the 16 outcomes', () => {
    const c = parseQasm(example('qft'));
    const d = counts(c, 1600);
    expect(Object.keys(d)).toHaveLength(16);
  });

  it('rus: repeat-until-success ends with flags 00 and the output qubit reads 0', () => {
    const c = parseQasm(example('rus'));
    const d = counts(c, 200);
    for (const k of Object.keys(d)) expect(registers(c, k)).toEqual({ flags: 0, output_qubit: 0 });
  });

  it('ipe: iterative phase estimation runs (angle[10] c written bit by bit from measurements)', () => {
    const c = parseQasm(example('ipe'));
    expect(c.vars?.map((v) => [v.name, v.type, v.width])).toContainEqual(['c', 'angle', 10]);
    // No bit registers: no counts, but every shot runs.
    expect(counts(c, 20)).toEqual({});
  });

  it('varteleport and qpt run (varteleport with 21 qubits, per shot)', () => {
    for (const name of ['varteleport', 'qpt']) {
      const c = parseQasm(example(name));
      const d = counts(c, 4);
      expect(Object.values(d).reduce((a, b) => a + b, 0)).toBe(4);
    }
  });

  it('alignment: stretch and delay are the identity; it runs without measurements', () => {
    const c = parseQasm(example('alignment'));
    expect(c.ops.map((o) => o.kind)).toEqual(['barrier', 'gate', 'gate', 'barrier']);
    expect(counts(c, 5)).toEqual({});
  });

  it('cphase, dd and arrays run once their invalid lines are fixed (see the fixture README)', () => {
    const cphase = parseQasm(example('cphase').replace('cphase(π / 2)', 'qubit[2] q;\ncphase(π / 2)'));
    expect(cphase.numQubits).toBe(2);
    const dd = parseQasm(example('dd').replace('u $3;', 'U(0, 0, 0) $3;'));
    expect(dd.numQubits).toBe(4);
    expect(counts(dd, 10)).toEqual({});
    const arrays = example('arrays');
    const valid = arrays
      .slice(0, arrays.indexOf('def multi_dimensional_input'))
      .replace('const uint[32] first_dimension = sizeof(my_doubles);', '')
      .replace('my_defined_uints[a - 1] = a + 1;', 'my_defined_uints[a - 2] = a + 1;');
    // Read some of the values back through bit registers.
    const a = parseQasm(
      valid +
        `bit[8] u1 = my_defined_uints[1]; bit[8] u3 = my_defined_uints[3];
         bit[8] dims = dimension * 100 + first_dimension * 10 + second_dimension;
         bit[8] f = int[8](my_defined_floats[1, 0] * 100); bit[8] g = int(my_defined_floats[0][1] * 10);
         bit[8] ones = all_ones[1][0]; bit[8] bb = int(b * 10);
         qubit extra; bit m = measure extra;`,
    );
    const d = counts(a, 3);
    expect(Object.keys(d)).toHaveLength(1);
    expect(registers(a, Object.keys(d)[0])).toEqual({
      u1: 5,
      u3: 6,
      dims: (4 * 100 + 8 * 10 + 4) % 256,
      f: 256 - 45,
      g: 5,
      ones: 11,
      bb: 7,
      m: 0,
    });
  });

  it.each([
    ['defcal', 'defcalgrammar', 1, 1],
    ['gateteleport', 'extern', 6, 1],
    ['scqec', 'extern', 16, 1],
    ['t1', 'extern', 13, 1],
    ['vqe', 'extern', 17, 1],
  ])('%s is refused naming %s', (name, feature, line, column) => {
    const e = refusal(example(name as string));
    expect(e.reason).toBe(`OpenQASM 3 feature '${feature}' is not supported`);
    expect([e.line, e.column]).toEqual([line, column]);
  });

  it('the invalid lines of msd, cphase, dd and arrays are refused where they are', () => {
    expect([refusal(example('cphase')).reason, refusal(example('cphase')).line]).toEqual([
      "unknown qubit or register 'q'",
      9,
    ]);
    expect(refusal(example('dd')).reason).toBe("unknown gate 'u'");
    const arrays = refusal(example('arrays'));
    expect([arrays.reason, arrays.line]).toEqual(["OpenQASM 3 feature '#dim' is not supported", 97]);
    const msd = refusal(example('msd'));
    expect([msd.reason, msd.line]).toEqual(['qubit index 3 out of range for a register of size 3', 48]);
  });
});
