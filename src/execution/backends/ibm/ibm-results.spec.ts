import { estimatorResults, samplerOutcomes, samplerResults } from './ibm-results';

describe("IBM results: Sampler V2 samples and Estimator V2 evs/stds in local results' formats", () => {
  const layout = {
    numClbits: 3,
    cregs: [
      { name: 'a', size: 1, offset: 0 },
      { name: 'b', size: 2, offset: 1 },
    ],
  };

  it('puts the registers together at their offsets, bit j of a sample being clbit j of its register', () => {
    const { shots, outcomes } = samplerOutcomes(
      { a: { samples: ['0x1', '0x0', '0x1'], num_bits: 1 }, b: { samples: ['0x2', '0x1', '0x2'], num_bits: 2 } },
      layout,
      'program 0',
    );
    expect(shots).toBe(3);
    // clbit 0 = a[0], clbit 1 = b[0], clbit 2 = b[1]; clbit 0 first.
    expect([...outcomes]).toEqual([
      ['101', 2],
      ['010', 1],
    ]);
    const [counts] = samplerResults(
      {
        data: {
          a: { samples: ['0x1', '0x0', '0x1'], num_bits: 1 },
          b: { samples: ['0x2', '0x1', '0x2'], num_bits: 2 },
        },
      },
      layout,
      'RUNNER',
      'program 0',
      { provider: 'IBM' },
    );
    expect(counts).toMatchObject({ resultType: 'COUNTS', data: { '0x1 0x0': 1, '0x2 0x1': 2 } });
    expect(counts.meta).toMatchObject({ shots: 3, provider: 'IBM' });
  });

  it('reads registers wider than 53 bits exactly', () => {
    const wide = { numClbits: 60, cregs: [{ name: 'c', size: 60, offset: 0 }] };
    const { outcomes } = samplerOutcomes({ c: { samples: ['0x800000000000001'], num_bits: 60 } }, wide, 'program 0');
    const [bits] = [...outcomes.keys()];
    expect(bits).toHaveLength(60);
    expect(bits[0]).toBe('1');
    expect(bits[59]).toBe('1');
    expect(bits.slice(1, 59)).toBe('0'.repeat(58));
  });

  it("names a register IBM's answer lacks", () => {
    expect(() => samplerOutcomes({ a: { samples: ['0x0'], num_bits: 1 } }, layout, 'program 2')).toThrow(
      "IBM's result of program 2 has no samples of register b (it has a)",
    );
  });

  it('maps evs to values and stds² × shots to the single-shot variance', () => {
    const results = estimatorResults(
      { data: { evs: [0.5, -1], stds: [0.01, 0] }, metadata: { shots: 2500, target_precision: 0.02 } },
      [{ pauli: 'zz', coefficient: 0.5 }, { pauli: 'XI' }],
      1000,
      'program 0',
      { backend: 'ibm_x' },
    );
    expect(results).toEqual([
      {
        resultType: 'VALUE_AND_VARIANCE',
        data: { value: 0.5, variance: 0.01 * 0.01 * 2500 },
        meta: {
          observable: 'ZZ',
          coefficient: 0.5,
          exact: false,
          shots: 2500,
          standardError: 0.01,
          targetPrecision: 0.02,
          backend: 'ibm_x',
        },
      },
      {
        resultType: 'VALUE_AND_VARIANCE',
        data: { value: -1, variance: 0 },
        meta: {
          observable: 'XI',
          coefficient: 1,
          exact: false,
          shots: 2500,
          standardError: 0,
          targetPrecision: 0.02,
          backend: 'ibm_x',
        },
      },
    ]);
    expect(() =>
      estimatorResults({ data: { evs: [1], stds: [0] } }, [{ pauli: 'Z' }, { pauli: 'X' }], 10, 'program 1', {}),
    ).toThrow("IBM's result of program 1 has 1 expectation values for 2 observables");
  });
});
