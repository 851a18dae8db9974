/**
 * A fake of Amazon Braket and of the S3 bucket it writes results to, for contract tests of the
 * Braket adapter. node:http only, on 127.0.0.1, port 0; two servers: `url` (BRAKET_ENDPOINT) and
 * `s3Url` (S3_ENDPOINT, path-style GetObject).
 *
 * What it follows:
 * - the Amazon Braket API Reference, API version 2019-09-01, over restJson1 as
 *   @aws-sdk/client-braket 3.1048.0 sends it (its dist-cjs/schemas/schemas_0.js): CreateQuantumTask
 *   `POST /quantum-task` (201), GetQuantumTask `GET /quantum-task/{arn}?additionalAttributeNames=QueueInfo`,
 *   CancelQuantumTask `PUT /quantum-task/{arn}/cancel`, SearchQuantumTasks `POST /quantum-tasks`,
 *   SearchDevices `POST /devices`, GetDevice `GET /device/{arn}`; timestamps as date-time strings,
 *   `action` and `deviceCapabilities` as JSON documents in strings; errors with the
 *   `x-amzn-errortype` header and `{message}` (ValidationException 400, AccessDeniedException 403,
 *   ResourceNotFoundException 404, ConflictException 409, ThrottlingException 429,
 *   InternalServiceException 500, and AWS's UnrecognizedClientException 403 for an unknown key);
 * - task statuses CREATED, QUEUED, RUNNING, COMPLETED, FAILED, CANCELLING, CANCELLED; queueInfo
 *   {queue, position (a string), queuePriority}; clientToken idempotency (a token seen before
 *   answers the task it created);
 * - results.json in `<outputS3Bucket>/<outputS3KeyPrefix>/<task id>/`, schema
 *   `braket.task_result.gate_model_task_result` v1 (amazon-braket-schemas-python): measurements
 *   (one row per shot), measuredQubits (the measured qubits in the order of their classical bits,
 *   all qubits when the program measures none), taskMetadata, additionalMetadata.simulatorMetadata;
 * - Braket's OpenQASM rules for its managed simulators (developer guide, "What OpenQASM features
 *   does Braket support?"; amazon-braket-sdk-python#683, #879): no include, no gate definitions,
 *   only the device's supportedOperations (Braket's names), no gate modifiers, the unitary pragma
 *   where the device lists braket_unitary_matrix. Messages imitate Braket's ("[line 4] uses ...").
 *
 * Results are a real function of the program: the submitted OpenQASM 3 is read back with our
 * engine (Braket's gates defined in stdgates terms, unitary pragmas of controlled one-qubit gates as
 * controlled U) and sampled with a fixed seed. Signatures are not checked; the access key id of the
 * SigV4 Authorization header is (expectedAccessKeyId).
 *
 * Use:
 *   const fake = await startFakeBraket({ autoAdvance: true });
 *   new BraketBackend({ region: 'us-east-1', braketEndpoint: fake.url, s3Endpoint: fake.s3Url,
 *     resultsBucket: fake.bucket, resultsPrefix: 'qunest' }, deps);
 *   fake.setAutoAdvance(false); fake.advance(arn, 'RUNNING'); fake.fail(arn, 'reason');
 *   fake.failNext(429, { errorType: 'ThrottlingException', headers: { 'retry-after': '7' } });
 *   await fake.close();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseProgram, simulate } from '../../src/quantum';

export type TaskStatus = 'CREATED' | 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLING' | 'CANCELLED';

export interface FakeTask {
  arn: string;
  id: string;
  status: TaskStatus;
  deviceArn: string;
  shots: number;
  /** The action as sent (a JSON document in a string). */
  action: string;
  /** Its OpenQASM source. */
  source: string;
  outputS3Bucket: string;
  outputS3Directory: string;
  clientToken: string;
  tags: Record<string, string>;
  createdAt: Date;
  endedAt?: Date;
  failureReason?: string;
  /** Its place in the device's queue while QUEUED (Braket gives it as a string). */
  queuePosition: string;
}

export interface FakeDevice {
  deviceArn: string;
  deviceName: string;
  providerName: string;
  deviceType: 'SIMULATOR' | 'QPU';
  deviceStatus: 'ONLINE' | 'OFFLINE' | 'RETIRED';
  /** The device's capabilities (sent as a JSON string). */
  capabilities: Record<string, unknown>;
  queueSize: string;
}

export interface FakeRequest {
  service: 'braket' | 's3';
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FailNextOptions {
  /** The error code (x-amzn-errortype, or S3's <Code>); default from the status. */
  errorType?: string;
  message?: string;
  headers?: Record<string, string>;
  /** Which server answers with it (default braket). */
  service?: 'braket' | 's3';
  /** How many requests in a row (default 1). */
  times?: number;
  /** Close the connection without an answer instead (a network failure). */
  destroy?: boolean;
  /** Never answer (until close): a provider that hangs. */
  hang?: boolean;
  /** Requests of that server answered normally before this one fails (default 0). */
  skip?: number;
}

export interface FakeBraketOptions {
  /** Move every task one state on (CREATED → QUEUED → RUNNING → COMPLETED) at each GetQuantumTask. Default true. */
  autoAdvance?: boolean;
  region?: string;
  /** The bucket results are written to (any bucket is accepted). */
  bucket?: string;
  /** Seed of the sampling (each task adds its number). */
  seed?: number;
  /** The access key id requests must be signed with; null accepts any. */
  expectedAccessKeyId?: string | null;
  /** How results.json gives the shots (default measurements, as the managed simulators do). */
  resultFormat?: 'measurements' | 'measurementProbabilities' | 'measurementCounts';
  /** Devices per SearchDevices page (default 100). */
  devicePageSize?: number;
  devices?: FakeDevice[];
}

export interface FakeBraket {
  url: string;
  s3Url: string;
  bucket: string;
  region: string;
  tasks: Map<string, FakeTask>;
  /** S3 objects, `bucket/key` → body. */
  objects: Map<string, string>;
  requests: FakeRequest[];
  devices: FakeDevice[];
  expectedAccessKeyId: string | null;
  setAutoAdvance(on: boolean): void;
  /** One state on (or to `to`) for the task `arn`, or for every task. Completing writes results.json. */
  advance(arn?: string, to?: TaskStatus): void;
  /** Ends a task in FAILED with `reason`. */
  fail(arn: string, reason: string): void;
  failNext(status: number, opts?: FailNextOptions): void;
  close(): Promise<void>;
}

const ACCOUNT = '123456789012';

// ------------------------------------------------------------------------------------------------
// Devices, as GetDevice describes them (schemas: braket.device_schema.*).

const BRAKET_GATES = [
  'ccnot',
  'cnot',
  'cphaseshift',
  'cphaseshift00',
  'cphaseshift01',
  'cphaseshift10',
  'cswap',
  'cv',
  'cy',
  'cz',
  'ecr',
  'h',
  'i',
  'iswap',
  'pswap',
  'phaseshift',
  'rx',
  'ry',
  'rz',
  's',
  'si',
  'swap',
  't',
  'ti',
  'v',
  'vi',
  'x',
  'xx',
  'xy',
  'y',
  'yy',
  'z',
  'zz',
];

function simulatorCaps(qubits: number, pragmas: string[], schema: string): Record<string, unknown> {
  return {
    braketSchemaHeader: { name: `braket.device_schema.simulators.${schema}`, version: '1' },
    service: {
      braketSchemaHeader: { name: 'braket.device_schema.device_service_properties', version: '1' },
      executionWindows: [{ executionDay: 'Everyday', windowStartHour: '00:00:00', windowEndHour: '23:59:59' }],
      shotsRange: [0, 100000],
    },
    action: {
      'braket.ir.openqasm.program': {
        actionType: 'braket.ir.openqasm.program',
        version: ['1'],
        supportedOperations: BRAKET_GATES,
        supportedModifiers: [],
        supportedPragmas: pragmas,
        forbiddenPragmas: [],
        supportPhysicalQubits: false,
        supportsPartialVerbatimBox: false,
        requiresContiguousQubitIndices: true,
        requiresAllQubitsMeasurement: false,
        supportsUnassignedMeasurements: false,
        disabledQubitRewiringSupported: false,
        supportedResultTypes: [
          { name: 'Sample', observables: ['x', 'y', 'z', 'h', 'i', 'hermitian'], minShots: 1, maxShots: 100000 },
          { name: 'Expectation', observables: ['x', 'y', 'z', 'h', 'i', 'hermitian'], minShots: 0, maxShots: 100000 },
        ],
      },
    },
    paradigm: {
      braketSchemaHeader: {
        name: 'braket.device_schema.simulators.gate_model_simulator_paradigm_properties',
        version: '1',
      },
      qubitCount: qubits,
    },
    deviceParameters: {},
  };
}

export function defaultFakeDevices(): FakeDevice[] {
  const sim = (id: string, name: string, qubits: number, pragmas: string[]): FakeDevice => ({
    deviceArn: `arn:aws:braket:::device/quantum-simulator/amazon/${id}`,
    deviceName: name,
    providerName: 'Amazon Braket',
    deviceType: 'SIMULATOR',
    deviceStatus: 'ONLINE',
    capabilities: simulatorCaps(qubits, pragmas, 'gate_model_simulator_device_capabilities'),
    queueSize: '0',
  });
  return [
    sim('sv1', 'SV1', 34, ['braket_unitary_matrix', 'braket_result_type_expectation', 'braket_result_type_sample']),
    sim('dm1', 'DM1', 17, ['braket_unitary_matrix', 'braket_noise_bit_flip', 'braket_result_type_expectation']),
    sim('tn1', 'TN1', 50, ['braket_result_type_expectation']),
    {
      deviceArn: 'arn:aws:braket:us-west-1::device/qpu/rigetti/Ankaa-3',
      deviceName: 'Ankaa-3',
      providerName: 'Rigetti',
      deviceType: 'QPU',
      deviceStatus: 'ONLINE',
      queueSize: '12',
      capabilities: {
        braketSchemaHeader: { name: 'braket.device_schema.rigetti.rigetti_device_capabilities', version: '1' },
        service: { shotsRange: [10, 50000] },
        action: {
          'braket.ir.openqasm.program': {
            actionType: 'braket.ir.openqasm.program',
            version: ['1'],
            supportedOperations: ['cz', 'iswap', 'rx', 'rz', 'cnot', 'h', 'x', 'y', 'z', 's', 'si', 't', 'ti', 'ry'],
            supportedModifiers: [],
            supportedPragmas: ['verbatim'],
            requiresAllQubitsMeasurement: false,
          },
        },
        paradigm: {
          braketSchemaHeader: { name: 'braket.device_schema.gate_model_qpu_paradigm_properties', version: '1' },
          qubitCount: 84,
          nativeGateSet: ['rx', 'rz', 'iswap', 'cz'],
          connectivity: { fullyConnected: false, connectivityGraph: { '0': ['1', '7'], '1': ['0', '2'] } },
        },
        standardized: {
          braketSchemaHeader: {
            name: 'braket.device_schema.standardized_gate_model_qpu_device_properties',
            version: '2',
          },
          oneQubitProperties: {
            '0': {
              T1: { value: 2.1e-5, standardError: null, unit: 'S' },
              T2: { value: 1.2e-5, standardError: null, unit: 'S' },
              oneQubitFidelity: [{ fidelityType: { name: 'RANDOMIZED_BENCHMARKING' }, fidelity: 0.9987 }],
            },
          },
          twoQubitProperties: {
            '0-1': {
              twoQubitGateFidelity: [
                { gateName: 'ISWAP', fidelity: 0.982, fidelityType: { name: 'INTERLEAVED_RANDOMIZED_BENCHMARKING' } },
              ],
            },
          },
        },
      },
    },
    {
      deviceArn: 'arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1',
      deviceName: 'Forte 1',
      providerName: 'IonQ',
      deviceType: 'QPU',
      deviceStatus: 'OFFLINE',
      queueSize: '>4000',
      capabilities: {
        braketSchemaHeader: { name: 'braket.device_schema.ionq.ionq_device_capabilities', version: '1' },
        action: {
          'braket.ir.openqasm.program': {
            actionType: 'braket.ir.openqasm.program',
            version: ['1'],
            supportedOperations: [
              'x',
              'y',
              'z',
              'rx',
              'ry',
              'rz',
              'h',
              'cnot',
              's',
              'si',
              't',
              'ti',
              'v',
              'vi',
              'xx',
              'yy',
              'zz',
              'swap',
            ],
          },
        },
        paradigm: { qubitCount: 36 },
      },
    },
    {
      deviceArn: 'arn:aws:braket:us-east-1::device/qpu/quera/Aquila',
      deviceName: 'Aquila',
      providerName: 'QuEra',
      deviceType: 'QPU',
      deviceStatus: 'ONLINE',
      queueSize: '3',
      capabilities: {
        braketSchemaHeader: { name: 'braket.device_schema.quera.quera_ahs_paradigm_properties', version: '1' },
        action: { 'braket.ir.ahs.program': { actionType: 'braket.ir.ahs.program', version: ['1'] } },
        paradigm: { qubitCount: 256 },
      },
    },
    {
      deviceArn: 'arn:aws:braket:::device/qpu/ionq/ionQdevice',
      deviceName: 'IonQ Device',
      providerName: 'IonQ',
      deviceType: 'QPU',
      deviceStatus: 'RETIRED',
      queueSize: '0',
      capabilities: {
        action: { 'braket.ir.openqasm.program': { supportedOperations: ['x'] } },
        paradigm: { qubitCount: 11 },
      },
    },
  ];
}

// ------------------------------------------------------------------------------------------------
// Braket's OpenQASM dialect, checked and read back with our engine.

class BraketValidation extends Error {}

/** Braket's gates in stdgates terms, so that our engine reads what Braket runs. */
const BRAKET_GATE_DEFINITIONS = `
gate i a { U(0, 0, 0) a; }
gate cnot a, b { cx a, b; }
gate ccnot a, b, c { ccx a, b, c; }
gate si a { sdg a; }
gate ti a { tdg a; }
gate v a { sx a; }
gate vi a { inv @ sx a; }
gate phaseshift(l) a { p(l) a; }
gate cphaseshift(l) a, b { cp(l) a, b; }
gate cphaseshift00(l) a, b { x a; x b; cp(l) a, b; x a; x b; }
gate cphaseshift01(l) a, b { x a; cp(l) a, b; x a; }
gate cphaseshift10(l) a, b { x b; cp(l) a, b; x b; }
gate cv a, b { ctrl @ sx a, b; }
`;

type C = [number, number];

function parseComplex(text: string): C {
  const t = text.replace(/\s+/g, '');
  const m = /^([+-]?[\d.]+(?:e[+-]?\d+)?)?(?:([+-]?[\d.]*(?:e[+-]?\d+)?)im)?$/i.exec(t);
  if (!m || t === '') throw new BraketValidation(`cannot read the matrix entry ${text}`);
  const re = m[1] !== undefined ? Number(m[1]) : 0;
  let im = 0;
  if (m[2] !== undefined) im = m[2] === '' || m[2] === '+' ? 1 : m[2] === '-' ? -1 : Number(m[2]);
  return [re, im];
}

function parseMatrix(text: string): C[][] {
  const rows = text
    .trim()
    .replace(/^\[\s*\[/, '')
    .replace(/\]\s*\]$/, '')
    .split(/\]\s*,\s*\[/);
  return rows.map((r) => r.split(',').map(parseComplex));
}

const arg = (c: C) => Math.atan2(c[1], c[0]);
const abs = (c: C) => Math.hypot(c[0], c[1]);

/** `m = e^{iα} U(θ, φ, λ)` (OpenQASM's U). */
function uOf(m: C[][]): { alpha: number; theta: number; phi: number; lambda: number } {
  const cos = abs(m[0][0]);
  const sin = abs(m[1][0]);
  const theta = 2 * Math.atan2(sin, cos);
  if (cos > 1e-12) {
    const alpha = arg(m[0][0]);
    if (sin > 1e-12)
      return { alpha, theta, phi: arg(m[1][0]) - alpha, lambda: arg([-m[0][1][0], -m[0][1][1]]) - alpha };
    return { alpha, theta, phi: 0, lambda: arg(m[1][1]) - alpha };
  }
  const alpha = arg(m[1][0]);
  return { alpha, theta, phi: 0, lambda: arg([-m[0][1][0], -m[0][1][1]]) - alpha };
}

/** A unitary pragma as OpenQASM our engine reads: a controlled one-qubit gate (the only form the fake runs). */
function unitaryAsGates(matrixText: string, targets: string[], lineNo: number): string {
  const m = parseMatrix(matrixText);
  const dim = 2 ** targets.length;
  if (m.length !== dim || m.some((r) => r.length !== dim)) {
    throw new BraketValidation(`[line ${lineNo}] the unitary is not ${dim}x${dim} for ${targets.length} targets`);
  }
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) {
      if (r >= dim - 2 && c >= dim - 2) continue;
      const want = r === c ? 1 : 0;
      if (Math.abs(m[r][c][0] - want) > 1e-9 || Math.abs(m[r][c][1]) > 1e-9) {
        throw new BraketValidation(`[line ${lineNo}] the fake runs unitaries of controlled one-qubit gates only`);
      }
    }
  }
  const block = [
    [m[dim - 2][dim - 2], m[dim - 2][dim - 1]],
    [m[dim - 1][dim - 2], m[dim - 1][dim - 1]],
  ];
  const { alpha, theta, phi, lambda } = uOf(block);
  const k = targets.length - 1;
  const mods = k === 0 ? '' : `ctrl(${k}) @ `;
  const lines = [`${mods}U(${theta}, ${phi}, ${lambda}) ${targets.join(', ')};`];
  // The phase under the controls: a phase gate on the last control, under the others.
  if (k === 0) lines.push(`gphase(${alpha});`);
  else lines.push(`${k > 1 ? `ctrl(${k - 1}) @ ` : ''}p(${alpha}) ${targets.slice(0, k).join(', ')};`);
  return lines.join('\n');
}

/**
 * Checks `source` against Braket's rules for `device` and answers it as OpenQASM 3 our engine
 * reads, measuring every qubit when it measures none (as Braket does). Throws BraketValidation.
 */
export function braketToEngineQasm(source: string, device: FakeDevice): string {
  const action = (device.capabilities.action as Record<string, Record<string, unknown>>)['braket.ir.openqasm.program'];
  if (!action) throw new BraketValidation(`device ${device.deviceArn} does not run OpenQASM programs`);
  const ops = new Set((action.supportedOperations as string[]).map((o) => o.toLowerCase()));
  const pragmas = new Set((action.supportedPragmas as string[] | undefined) ?? []);
  const modifiers = new Set(((action.supportedModifiers as { name: string }[] | undefined) ?? []).map((m) => m.name));
  const out: string[] = [];
  const qregs: { name: string; size: number }[] = [];
  let measures = false;
  let header = false;
  source.split('\n').forEach((raw, idx) => {
    const n = idx + 1;
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '') return;
    if (/^OPENQASM\s+3(\.0)?\s*;$/.test(line)) {
      header = true;
      return;
    }
    if (!header) throw new BraketValidation(`[line ${n}] the program must start with OPENQASM 3.0;`);
    if (/^include\b/.test(line)) throw new BraketValidation(`[line ${n}] uses Include. Include is not supported`);
    if (/^(gate|def)\b/.test(line))
      throw new BraketValidation(`[line ${n}] uses a gate definition, which is not supported`);
    let m = /^qubit\[(\d+)\]\s+([A-Za-z_]\w*)\s*;$/.exec(line);
    if (m) {
      qregs.push({ name: m[2], size: Number(m[1]) });
      out.push(line);
      return;
    }
    if (/^bit(\[\d+\])?\s+[A-Za-z_]\w*\s*;$/.test(line)) {
      out.push(line);
      return;
    }
    if (/^([A-Za-z_]\w*(\[\d+\])?\s*=\s*)?measure\s+[^;]+;$/.test(line)) {
      measures = true;
      out.push(line);
      return;
    }
    const unitary = /^#pragma\s+braket\s+unitary\s*/.exec(line);
    if (unitary) {
      if (!pragmas.has('braket_unitary_matrix')) {
        throw new BraketValidation(
          `[line ${n}] uses the pragma braket unitary, which device ${device.deviceName} does not support`,
        );
      }
      // The matrix is the balanced [...] after the keyword (optionally in parentheses); then the targets.
      let rest = line.slice(unitary[0].length).replace(/^\(/, '');
      let depth = 0;
      let end = -1;
      for (let i = 0; i < rest.length && end < 0; i++) {
        if (rest[i] === '[') depth++;
        if (rest[i] === ']' && --depth === 0) end = i;
      }
      if (end < 0) throw new BraketValidation(`[line ${n}] cannot read the unitary`);
      const matrix = rest.slice(0, end + 1);
      rest = rest.slice(end + 1).replace(/^\s*\)/, '');
      out.push(
        unitaryAsGates(
          matrix,
          rest
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
          n,
        ),
      );
      return;
    }
    if (line.startsWith('#pragma')) throw new BraketValidation(`[line ${n}] uses an unsupported pragma: ${line}`);
    m = /^((?:[a-z]+(?:\([^)]*\))?\s*@\s*)*)([A-Za-z_]\w*)\s*(\([^)]*\))?\s+([^;]+);$/.exec(line);
    if (!m) throw new BraketValidation(`[line ${n}] uses Stmt. Stmt is not supported`);
    for (const mod of m[1].matchAll(/([a-z]+)(?:\([^)]*\))?\s*@/g)) {
      if (!modifiers.has(mod[1]))
        throw new BraketValidation(`[line ${n}] uses an unsupported GateModifer: '${mod[1]}'`);
    }
    if (!ops.has(m[2].toLowerCase()))
      throw new BraketValidation(`[line ${n}] uses a gate: ${m[2]} which is not supported by the device`);
    out.push(line);
  });
  if (!header) throw new BraketValidation('the program must start with OPENQASM 3.0;');
  if (!measures) {
    const total = qregs.reduce((a, r) => a + r.size, 0);
    out.push(`bit[${total}] braket_all;`);
    let i = 0;
    for (const r of qregs) for (let j = 0; j < r.size; j++) out.push(`braket_all[${i++}] = measure ${r.name}[${j}];`);
  }
  return `OPENQASM 3.0;\ninclude "stdgates.inc";\n${BRAKET_GATE_DEFINITIONS}\n${out.join('\n')}\n`;
}

/** Samples a task as Braket would: measuredQubits and one row per shot. */
function runTask(task: FakeTask, device: FakeDevice, seed: number, format: FakeBraketOptions['resultFormat']): string {
  const started = Date.now();
  const circuit = parseProgram('QASM3', braketToEngineQasm(task.source, device));
  // Braket's measuredQubits: the qubit of every measured classical bit, in the order of the bits.
  const byClbit = new Map<number, number>();
  for (const op of circuit.ops) if (op.kind === 'measure') byClbit.set(op.clbit, op.qubit);
  const clbits = [...byClbit.keys()].sort((a, b) => a - b);
  const measuredQubits = clbits.map((c) => byClbit.get(c)!);
  const [result] = simulate({ circuit, shots: task.shots, seed, type: 'SAMPLER', maxQubits: 34 });
  const rows: number[][] = [];
  const counts: Record<string, number> = {};
  const probabilities: Record<string, number> = {};
  for (const [hex, p] of Object.entries(result.data as Record<string, number>)) {
    const value = BigInt(hex);
    const row = clbits.map((c) => Number((value >> BigInt(c)) & 1n));
    const n = Math.round(p * task.shots);
    const key = row.join('');
    counts[key] = (counts[key] ?? 0) + n;
    probabilities[key] = (probabilities[key] ?? 0) + p;
    for (let i = 0; i < n; i++) rows.push(row);
  }
  const shotsPart =
    format === 'measurementProbabilities'
      ? { measurementProbabilities: probabilities }
      : format === 'measurementCounts'
        ? { measurementCounts: counts }
        : { measurements: rows };
  return JSON.stringify({
    braketSchemaHeader: { name: 'braket.task_result.gate_model_task_result', version: '1' },
    ...shotsPart,
    measuredQubits,
    resultTypes: [],
    taskMetadata: {
      braketSchemaHeader: { name: 'braket.task_result.task_metadata', version: '1' },
      id: task.arn,
      shots: task.shots,
      deviceId: task.deviceArn,
      createdAt: task.createdAt.toISOString(),
      endedAt: new Date().toISOString(),
      status: 'COMPLETED',
    },
    additionalMetadata: {
      action: {
        braketSchemaHeader: { name: 'braket.ir.openqasm.program', version: '1' },
        source: task.source,
        inputs: {},
      },
      simulatorMetadata: {
        braketSchemaHeader: { name: 'braket.task_result.simulator_metadata', version: '1' },
        executionDuration: Date.now() - started,
      },
    },
  });
}

// ------------------------------------------------------------------------------------------------
// The servers.

const DEFAULT_ERRORS: Record<number, string> = {
  400: 'ValidationException',
  402: 'ServiceQuotaExceededException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  409: 'ConflictException',
  424: 'DeviceOfflineException',
  429: 'ThrottlingException',
  500: 'InternalServiceException',
  503: 'ServiceUnavailable',
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** The access key id of a SigV4 Authorization header. */
function accessKeyOf(req: IncomingMessage): string | null {
  const auth = req.headers.authorization ?? '';
  return /Credential=([^/]+)\//.exec(auth)?.[1] ?? null;
}

export async function startFakeBraket(opts: FakeBraketOptions = {}): Promise<FakeBraket> {
  const region = opts.region ?? 'us-east-1';
  const tasks = new Map<string, FakeTask>();
  const byToken = new Map<string, string>();
  const objects = new Map<string, string>();
  const requests: FakeRequest[] = [];
  const devices = opts.devices ?? defaultFakeDevices();
  const failures: (FailNextOptions & { status: number })[] = [];
  let autoAdvance = opts.autoAdvance ?? true;
  let counter = 0;
  const seed = opts.seed ?? 20260101;

  const deviceOf = (arn: string) => devices.find((d) => d.deviceArn === arn);

  const complete = (task: FakeTask) => {
    const device = deviceOf(task.deviceArn)!;
    try {
      const body = runTask(task, device, seed + parseInt(task.id, 10), opts.resultFormat);
      objects.set(`${task.outputS3Bucket}/${task.outputS3Directory}/results.json`, body);
      task.status = 'COMPLETED';
    } catch (err) {
      task.status = 'FAILED';
      task.failureReason = (err as Error).message;
    }
    task.endedAt = new Date();
  };

  const NEXT: Partial<Record<TaskStatus, TaskStatus>> = {
    CREATED: 'QUEUED',
    QUEUED: 'RUNNING',
    RUNNING: 'COMPLETED',
    CANCELLING: 'CANCELLED',
  };
  const step = (task: FakeTask, to?: TaskStatus) => {
    const target = to ?? NEXT[task.status];
    if (!target || target === task.status) return;
    if (target === 'COMPLETED') return complete(task);
    task.status = target;
    if (target === 'CANCELLED' || target === 'FAILED') task.endedAt = new Date();
  };

  const fake: FakeBraket = {
    url: '',
    s3Url: '',
    bucket: opts.bucket ?? 'amazon-braket-qunest-results',
    region,
    tasks,
    objects,
    requests,
    devices,
    expectedAccessKeyId: opts.expectedAccessKeyId ?? null,
    setAutoAdvance: (on) => {
      autoAdvance = on;
    },
    advance: (arn, to) => {
      const list = arn ? [tasks.get(arn)] : [...tasks.values()];
      for (const task of list) {
        if (!task) throw new Error(`no task ${arn}`);
        step(task, to);
      }
    },
    fail: (arn, reason) => {
      const task = tasks.get(arn);
      if (!task) throw new Error(`no task ${arn}`);
      task.status = 'FAILED';
      task.failureReason = reason;
      task.endedAt = new Date();
    },
    failNext: (status, o = {}) => {
      for (let i = 0; i < (o.times ?? 1); i++) failures.push({ ...o, status });
    },
    close: async () => {
      await Promise.all(
        [braketServer, s3Server].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };

  const takeFailure = (service: 'braket' | 's3') => {
    const i = failures.findIndex((f) => (f.service ?? 'braket') === service);
    if (i < 0) return undefined;
    if ((failures[i].skip ?? 0) > 0) {
      failures[i].skip!--;
      return undefined;
    }
    return failures.splice(i, 1)[0];
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers });
    res.end(JSON.stringify(body));
  };
  const sendError = (
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    headers: Record<string, string> = {},
  ) =>
    sendJson(
      res,
      status,
      { message },
      { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.braket/`, ...headers },
    );

  const summaryOf = (t: FakeTask) => ({
    quantumTaskArn: t.arn,
    status: t.status,
    deviceArn: t.deviceArn,
    shots: t.shots,
    outputS3Bucket: t.outputS3Bucket,
    outputS3Directory: t.outputS3Directory,
    createdAt: t.createdAt.toISOString(),
    ...(t.endedAt ? { endedAt: t.endedAt.toISOString() } : {}),
    tags: t.tags,
  });

  const deviceSummary = (d: FakeDevice) => ({
    deviceArn: d.deviceArn,
    deviceName: d.deviceName,
    providerName: d.providerName,
    deviceType: d.deviceType,
    deviceStatus: d.deviceStatus,
  });

  const braketServer = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = url.pathname;
      requests.push({
        service: 'braket',
        method: req.method ?? 'GET',
        path: decodeURIComponent(path),
        headers: req.headers,
        body,
      });
      const failure = takeFailure('braket');
      if (failure) {
        if (failure.hang) return;
        if (failure.destroy) return req.socket.destroy();
        const type = failure.errorType ?? DEFAULT_ERRORS[failure.status] ?? 'InternalServiceException';
        return sendError(res, failure.status, type, failure.message ?? `fake ${type}`, failure.headers);
      }
      const key = accessKeyOf(req);
      if (!key) return sendError(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      if (fake.expectedAccessKeyId !== null && key !== fake.expectedAccessKeyId) {
        return sendError(
          res,
          403,
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      }
      const b = (body ?? {}) as Record<string, any>;
      let m: RegExpExecArray | null;

      if (req.method === 'POST' && path === '/quantum-task') {
        if (typeof b.clientToken !== 'string' || b.clientToken.length < 1 || b.clientToken.length > 64) {
          return sendError(res, 400, 'ValidationException', 'clientToken must be 1 to 64 characters long');
        }
        const seen = byToken.get(b.clientToken);
        if (seen) return sendJson(res, 201, { quantumTaskArn: seen });
        const device = deviceOf(b.deviceArn);
        if (!device) return sendError(res, 404, 'ResourceNotFoundException', `Device ${b.deviceArn} not found`);
        if (device.deviceStatus === 'RETIRED')
          return sendError(res, 410, 'DeviceRetiredException', `Device ${device.deviceArn} is retired`);
        if (device.deviceStatus !== 'ONLINE')
          return sendError(res, 424, 'DeviceOfflineException', `Device ${device.deviceArn} is offline`);
        if (!Number.isInteger(b.shots) || b.shots < 0 || b.shots > 100000) {
          return sendError(
            res,
            400,
            'ValidationException',
            `shots must be between 0 and 100000 for ${device.deviceName}`,
          );
        }
        if (!b.outputS3Bucket || typeof b.outputS3KeyPrefix !== 'string') {
          return sendError(res, 400, 'ValidationException', 'outputS3Bucket and outputS3KeyPrefix are required');
        }
        let source: string;
        try {
          const action = JSON.parse(String(b.action)) as { braketSchemaHeader?: { name?: string }; source?: string };
          if (action.braketSchemaHeader?.name !== 'braket.ir.openqasm.program' || typeof action.source !== 'string') {
            return sendError(res, 400, 'ValidationException', 'action must be a braket.ir.openqasm.program');
          }
          source = action.source;
        } catch {
          return sendError(res, 400, 'ValidationException', 'action is not valid JSON');
        }
        try {
          parseProgram('QASM3', braketToEngineQasm(source, device));
        } catch (err) {
          return sendError(res, 400, 'ValidationException', (err as Error).message);
        }
        const id = `${String(++counter).padStart(4, '0')}-${randomUUID()}`;
        const arn = `arn:aws:braket:${region}:${ACCOUNT}:quantum-task/${id}`;
        const prefix = String(b.outputS3KeyPrefix).replace(/\/+$/, '');
        tasks.set(arn, {
          arn,
          id,
          status: 'CREATED',
          deviceArn: device.deviceArn,
          shots: b.shots,
          action: String(b.action),
          source,
          outputS3Bucket: b.outputS3Bucket,
          outputS3Directory: `${prefix}/${id}`,
          clientToken: b.clientToken,
          tags: (b.tags ?? {}) as Record<string, string>,
          createdAt: new Date(),
          queuePosition: String(tasks.size + 1),
        });
        byToken.set(b.clientToken, arn);
        return sendJson(res, 201, { quantumTaskArn: arn });
      }
      if ((m = /^\/quantum-task\/([^/]+)\/cancel$/.exec(path)) && req.method === 'PUT') {
        const task = tasks.get(decodeURIComponent(m[1]));
        if (!task)
          return sendError(res, 404, 'ResourceNotFoundException', `Quantum task ${decodeURIComponent(m[1])} not found`);
        if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(task.status)) {
          return sendError(
            res,
            409,
            'ConflictException',
            `Quantum task ${task.arn} is in a terminal state: ${task.status}`,
          );
        }
        task.status = 'CANCELLING';
        return sendJson(res, 200, { quantumTaskArn: task.arn, cancellationStatus: 'CANCELLING' });
      }
      if ((m = /^\/quantum-task\/([^/]+)$/.exec(path)) && req.method === 'GET') {
        const task = tasks.get(decodeURIComponent(m[1]));
        if (!task)
          return sendError(res, 404, 'ResourceNotFoundException', `Quantum task ${decodeURIComponent(m[1])} not found`);
        if (autoAdvance) step(task);
        const withQueue = url.searchParams.getAll('additionalAttributeNames').includes('QueueInfo');
        return sendJson(res, 200, {
          ...summaryOf(task),
          deviceParameters: '{}',
          ...(task.failureReason ? { failureReason: task.failureReason } : {}),
          ...(withQueue && task.status === 'QUEUED'
            ? { queueInfo: { queue: 'QUANTUM_TASKS_QUEUE', position: task.queuePosition, queuePriority: 'Normal' } }
            : {}),
        });
      }
      if (req.method === 'POST' && path === '/quantum-tasks') {
        let list = [...tasks.values()];
        for (const f of (b.filters ?? []) as { name: string; operator: string; values: string[] }[]) {
          if (f.operator !== 'EQUAL') continue;
          const field = f.name === 'quantumTaskArn' ? 'arn' : (f.name as 'status' | 'deviceArn');
          list = list.filter((t) => f.values.includes(String(t[field])));
        }
        const start = Number(b.nextToken ?? 0);
        const size = Math.min(Number(b.maxResults ?? 100), 100);
        const page = list.slice(start, start + size);
        return sendJson(res, 200, {
          quantumTasks: page.map(summaryOf),
          ...(start + size < list.length ? { nextToken: String(start + size) } : {}),
        });
      }
      if (req.method === 'POST' && path === '/devices') {
        let list = devices;
        for (const f of (b.filters ?? []) as { name: keyof FakeDevice; values: string[] }[]) {
          list = list.filter((d) => f.values.includes(String(d[f.name])));
        }
        const start = Number(b.nextToken ?? 0);
        const size = Math.min(Number(b.maxResults ?? 100), opts.devicePageSize ?? 100);
        return sendJson(res, 200, {
          devices: list.slice(start, start + size).map(deviceSummary),
          ...(start + size < list.length ? { nextToken: String(start + size) } : {}),
        });
      }
      if ((m = /^\/device\/(.+)$/.exec(path)) && req.method === 'GET') {
        const device = deviceOf(decodeURIComponent(m[1]));
        if (!device)
          return sendError(res, 404, 'ResourceNotFoundException', `Device ${decodeURIComponent(m[1])} not found`);
        return sendJson(res, 200, {
          ...deviceSummary(device),
          deviceCapabilities: JSON.stringify(device.capabilities),
          deviceQueueInfo: [
            { queue: 'QUANTUM_TASKS_QUEUE', queueSize: device.queueSize, queuePriority: 'Normal' },
            { queue: 'QUANTUM_TASKS_QUEUE', queueSize: '0', queuePriority: 'Priority' },
            { queue: 'JOBS_QUEUE', queueSize: '0' },
          ],
        });
      }
      return sendError(res, 404, 'UnknownOperationException', `no operation ${req.method} ${path}`);
    })();
  });

  const s3Error = (
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID(), ...headers });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
  };

  const s3Server = createServer((req, res) => {
    void (async () => {
      await readBody(req);
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = decodeURIComponent(url.pathname);
      requests.push({ service: 's3', method: req.method ?? 'GET', path, headers: req.headers, body: undefined });
      const failure = takeFailure('s3');
      if (failure) {
        if (failure.hang) return;
        if (failure.destroy) return req.socket.destroy();
        const code =
          failure.errorType ??
          (failure.status === 403 ? 'AccessDenied' : failure.status === 503 ? 'SlowDown' : 'InternalError');
        return s3Error(res, failure.status, code, failure.message ?? `fake ${code}`, failure.headers);
      }
      const key = accessKeyOf(req);
      if (!key || (fake.expectedAccessKeyId !== null && key !== fake.expectedAccessKeyId)) {
        return s3Error(
          res,
          403,
          'InvalidAccessKeyId',
          'The AWS Access Key Id you provided does not exist in our records.',
        );
      }
      if (req.method !== 'GET') return s3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed');
      const object = objects.get(path.replace(/^\//, ''));
      if (object === undefined) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(object)),
        etag: `"${randomUUID()}"`,
        'x-amz-request-id': randomUUID(),
      });
      res.end(object);
    })();
  });

  fake.url = await listen(braketServer);
  fake.s3Url = await listen(s3Server);
  return fake;
}
