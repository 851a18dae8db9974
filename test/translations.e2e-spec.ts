/**
 * POST /api/translations and the languages of uploads, against the real app (PostgreSQL, workers in
 * the process) over HTTP. The engine's registry decides what is read and written: each test asks it
 * (canParse, EMITTED_LANGUAGES) and checks every language accordingly, so that front ends and
 * emitters registered later are tested without changing this file. Translations are checked by
 * parsing the answer with the engine and comparing its unitary (up to a global phase) and its
 * measurements with those of the program sent, computed by the dense reference simulator.
 */
import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { SignJWT } from 'jose';
import {
  canParse,
  EMITTED_LANGUAGES,
  ENGINE_LANGUAGES,
  parseProgram,
  translateProgram,
  type Circuit,
  type Op,
} from '../src/quantum';
import { unitaryOf, type State } from '../src/quantum/qasm/testing';
import { UPLOAD_LANGUAGES } from '../src/deployments/languages';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

/** A program of many gate kinds (qelib1), measured at the end. */
const MIXED_QASM2 = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
h q[0];
cx q[0], q[1];
rz(0.7) q[1];
ry(0.3) q[2];
u3(0.1, 0.2, 0.3) q[0];
ccx q[0], q[1], q[2];
s q[1];
tdg q[2];
swap q[0], q[2];
cu1(0.4) q[1], q[0];
sx q[1];
measure q -> c;
`;

/** The same kind of program in OpenQASM 3 (stdgates), with a gate definition and a loop. */
const MIXED_QASM3 = `OPENQASM 3.0;
include "stdgates.inc";
gate twist(a) x { rz(a) x; h x; }
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
for int i in [0:2] { twist(0.25 * i) q[i]; }
ccx q[0], q[1], q[2];
p(0.6) q[2];
c = measure q;
`;

/** Bell programs in every language, for uploads and jobs (the front ends' documented syntax). */
const BELL: Record<string, string> = {
  QASM2: BELL_QASM2,
  QASM3: 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n',
  QUIL: 'DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n',
  QISKIT:
    'from qiskit import QuantumCircuit\n\nqc = QuantumCircuit(2, 2)\nqc.h(0)\nqc.cx(0, 1)\nqc.measure([0, 1], [0, 1])\n',
  BRAKET: 'from braket.circuits import Circuit\n\ncircuit = Circuit().h(0).cnot(0, 1)\n',
  IONQ: JSON.stringify({
    format: 'ionq.circuit.v0',
    qubits: 2,
    circuit: [
      { gate: 'h', target: 0 },
      { gate: 'cnot', control: 0, target: 1 },
    ],
  }),
};

/** pyQuil builder code, stored as QUIL: read as the Quil it builds. */
const PYQUIL_BELL =
  'from pyquil import Program\nfrom pyquil.gates import H, CNOT, MEASURE\n\np = Program()\nro = p.declare("ro", "BIT", 2)\np += H(0)\np += CNOT(0, 1)\np += MEASURE(0, ro[0])\np += MEASURE(1, ro[1])\n';

/** Programs with a construct some target cannot express (run-time probe of the registered emitters). */
const HARD_PROGRAMS: { name: string; language: string; source: string }[] = [
  {
    name: 'mid-circuit measurement',
    language: 'QASM2',
    source:
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\nmeasure q[0] -> c[0];\nh q[0];\ncx q[0], q[1];\nmeasure q[1] -> c[1];\n',
  },
  {
    name: 'classical control',
    language: 'QASM2',
    source:
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[1];\nh q[0];\nmeasure q[0] -> c[0];\nif (c == 1) x q[1];\n',
  },
  {
    name: 'reset',
    language: 'QASM2',
    source:
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nx q[0];\nreset q[0];\nmeasure q[0] -> c[0];\n',
  },
  {
    name: 'while loop',
    language: 'QASM3',
    source:
      'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nbit b = 1;\nwhile (b) { h q[0]; b = measure q[0]; }\n',
  },
];

const READ = UPLOAD_LANGUAGES.filter((l) => canParse(l));
const WRITE = UPLOAD_LANGUAGES.filter((l) => EMITTED_LANGUAGES.includes(l));

/** The circuit's ops without its measurements (and barriers), and its measurements as [qubit, clbit]. */
function split(circuit: Circuit): { unitary: Op[]; measures: [number, number][] } {
  const unitary: Op[] = [];
  const measures: [number, number][] = [];
  for (const op of circuit.ops) {
    if (op.kind === 'measure') measures.push([op.qubit, op.clbit]);
    else if (op.kind !== 'barrier') unitary.push(op);
  }
  return { unitary, measures: measures.sort((a, b) => a[0] - b[0] || a[1] - b[1]) };
}

/** Largest difference between two unitaries after removing the global phase that best aligns them. */
function distanceUpToPhase(a: State[], b: State[]): number {
  let best = { k: 0, i: 0, size: -1 };
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < a[k].re.length; i++) {
      const size = Math.hypot(a[k].re[i], a[k].im[i]);
      if (size > best.size) best = { k, i, size };
    }
  }
  const { k: bk, i: bi } = best;
  // phase = b / a at the largest entry of a
  const ar = a[bk].re[bi];
  const ai = a[bk].im[bi];
  const br = b[bk].re[bi];
  const bim = b[bk].im[bi];
  const norm = ar * ar + ai * ai;
  let pr = (br * ar + bim * ai) / norm;
  let pi = (bim * ar - br * ai) / norm;
  const mag = Math.hypot(pr, pi) || 1;
  pr /= mag;
  pi /= mag;
  let d = 0;
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < a[k].re.length; i++) {
      const xr = a[k].re[i] * pr - a[k].im[i] * pi;
      const xi = a[k].re[i] * pi + a[k].im[i] * pr;
      d = Math.max(d, Math.hypot(xr - b[k].re[i], xi - b[k].im[i]));
    }
  }
  return d;
}

/** Checks that `text` (in `to`) is the program `source` (in `from`): same unitary up to phase, same measurements. */
function expectSameProgram(from: string, source: string, to: string, text: string): void {
  const original = split(parseProgram(from, source));
  const translated = parseProgram(to, text);
  const copy = split(translated);
  const n = parseProgram(from, source).numQubits;
  expect(translated.numQubits).toBe(n);
  expect(copy.measures).toEqual(original.measures);
  expect(distanceUpToPhase(unitaryOf(original.unitary, n), unitaryOf(copy.unitary, n))).toBeLessThan(1e-9);
}

describe('translations (POST /api/translations) and the languages of uploads', () => {
  let t: TestApp;
  let http: Http;
  let localDeviceId: string;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true, auth: { jobsPerMinute: 0 } });
    http = new Http(`${t.baseUrl}/api`);
    const devices = (await http.get('/devices?limit=100')).body.items as { id: string; name: string }[];
    localDeviceId = devices.find((d) => d.name === 'statevector-simulator')!.id;
  });

  afterAll(async () => {
    await t?.close();
  });

  const translate = (quantumCircuit: string, from: string, to: string) =>
    http.post('/translations', { quantumCircuit, from, to });

  it('lists the languages, and those the engine reads and writes, as the engine registry has them', async () => {
    const r = await http.get('/translations/languages');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ languages: [...UPLOAD_LANGUAGES], read: READ, write: WRITE });
    // every language the engine reads is a language of the API
    for (const l of ENGINE_LANGUAGES) expect(UPLOAD_LANGUAGES as readonly string[]).toContain(l);
    expect(r.body.read).toEqual(expect.arrayContaining(['QASM2', 'QASM3']));
  });

  it('translates QASM2 to QASM3 keeping the unitary and the measurements', async () => {
    expect(WRITE).toContain('QASM3');
    const r = await translate(MIXED_QASM2, 'QASM2', 'QASM3');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ language: 'QASM3', quantumCircuit: expect.any(String), warnings: expect.any(Array) });
    expect(r.body.quantumCircuit).toMatch(/^OPENQASM 3/);
    expectSameProgram('QASM2', MIXED_QASM2, 'QASM3', r.body.quantumCircuit);
  });

  it('answers every pair of languages: 200 with the same program for a pair the engine reads and writes, else 422 naming the field and what it can', async () => {
    const sources: Record<string, string> = { ...BELL, QASM2: MIXED_QASM2, QASM3: MIXED_QASM3 };
    const checked: string[] = [];
    for (const from of UPLOAD_LANGUAGES) {
      for (const to of UPLOAD_LANGUAGES) {
        const r = await translate(sources[from], from, to);
        const pair = `${from}->${to}`;
        if (!READ.includes(from)) {
          expect({ pair, status: r.status, field: r.body.field }).toEqual({ pair, status: 422, field: 'from' });
          expect(r.body.message).toBe(`from: the engine cannot read ${from} programs yet; it reads ${READ.join(', ')}`);
          expect(r.body.read).toEqual(READ);
          continue;
        }
        if (!WRITE.includes(to)) {
          expect({ pair, status: r.status, field: r.body.field }).toEqual({ pair, status: 422, field: 'to' });
          expect(r.body.message).toBe(
            `to: the engine cannot write ${to} programs yet; it writes ${WRITE.length ? WRITE.join(', ') : 'none of them'}`,
          );
          continue;
        }
        expect({ pair, status: r.status, body: r.status === 200 ? 'ok' : r.body }).toEqual({
          pair,
          status: 200,
          body: 'ok',
        });
        expect(r.body.language).toBe(to);
        expect(r.body.warnings.every((w: unknown) => typeof w === 'string')).toBe(true);
        if (READ.includes(to)) expectSameProgram(from, sources[from], to, r.body.quantumCircuit);
        else expect(r.body.quantumCircuit.length).toBeGreaterThan(0);
        checked.push(pair);
      }
    }
    expect(checked).toContain('QASM2->QASM3');
  });

  it('translates a program of many gate kinds written in each language to every other, keeping the unitary and the measurements', async () => {
    // the program of many gate kinds in each language the engine reads and writes (written by the
    // engine), then sent from that language to every target over HTTP
    let checked = 0;
    for (const from of READ.filter((l) => WRITE.includes(l))) {
      const source = translateProgram('QASM3', from, MIXED_QASM3).quantumCircuit;
      expectSameProgram('QASM3', MIXED_QASM3, from, source);
      for (const to of WRITE) {
        const r = await translate(source, from, to);
        expect({ pair: `${from}->${to}`, status: r.status }).toEqual({ pair: `${from}->${to}`, status: 200 });
        if (READ.includes(to)) expectSameProgram(from, source, to, r.body.quantumCircuit);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('refuses a language the API does not know with 400 naming the field, and the Python names saying what to use instead', async () => {
    const cobol = await translate(BELL_QASM2, 'COBOL', 'QASM3');
    expect(cobol.status).toBe(400);
    expect(cobol.body.errors).toEqual([
      { field: 'from', message: `from must be one of ${UPLOAD_LANGUAGES.join(', ')}` },
    ]);
    const python = await translate(BELL_QASM2, 'QASM2', 'QISKIT-PYTHON');
    expect(python.status).toBe(400);
    expect(python.body.errors[0].field).toBe('to');
    expect(python.body.message).toMatch(
      /^to must be one of .*: QISKIT-PYTHON programs are Python files that qunicorn-core executes; Qunest never runs code/,
    );
    const missing = await http.post('/translations', { quantumCircuit: BELL_QASM2, from: 'QASM2' });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { field: string }) => e.field)).toEqual(['to']);
    const extra = await http.post('/translations', { quantumCircuit: BELL_QASM2, from: 'QASM2', to: 'QASM3', x: 1 });
    expect(extra.status).toBe(400);
    expect(extra.body.message).toContain('property x should not exist');
    const empty = await translate('', 'QASM2', 'QASM3');
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0].field).toBe('quantumCircuit');
  });

  it('refuses a program that does not parse with 422, its line, column and reason, as uploads do', async () => {
    const bad = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nfoo q[0];\n';
    const upload = await http.post('/deployments', {
      name: 'bad',
      programs: [{ quantumCircuit: bad, assemblerLanguage: 'QASM2' }],
    });
    expect(upload.status).toBe(422);
    const r = await translate(bad, 'QASM2', WRITE[0]);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({
      statusCode: 422,
      field: 'quantumCircuit',
      line: upload.body.line,
      column: upload.body.column,
      reason: upload.body.reason,
    });
    expect(r.body.line).toBe(4);
    expect(r.body.message).toBe(upload.body.message.replace(/^programs\[0\]/, 'quantumCircuit'));
  });

  it('refuses a construct the target cannot express with 422 naming it and the target', async () => {
    const refusals: { to: string; program: string; body: Record<string, unknown> }[] = [];
    for (const program of HARD_PROGRAMS) {
      expect(READ).toContain(program.language);
      for (const to of WRITE) {
        const r = await translate(program.source, program.language, to);
        expect([200, 422]).toContain(r.status);
        if (r.status === 200) {
          if (READ.includes(to)) {
            const back = parseProgram(to, r.body.quantumCircuit);
            expect(back.numQubits).toBe(parseProgram(program.language, program.source).numQubits);
          }
          continue;
        }
        expect(r.body).toMatchObject({ field: 'to', language: to, construct: expect.any(String) });
        expect(r.body.message.startsWith(`to: ${to} cannot express ${r.body.construct}`)).toBe(true);
        refusals.push({ to, program: program.name, body: r.body });
      }
    }
    // at least one registered emitter refuses one of these
    expect(refusals.length).toBeGreaterThan(0);
    // the documented cases of docs/languages.md, for the emitters registered
    if (WRITE.includes('IONQ')) {
      expect(refusals).toContainEqual(
        expect.objectContaining({
          to: 'IONQ',
          program: 'mid-circuit measurement',
          body: expect.objectContaining({ construct: 'mid-circuit measurement' }),
        }),
      );
    }
    if (WRITE.includes('QASM2')) {
      expect(refusals).toContainEqual(expect.objectContaining({ to: 'QASM2', program: 'while loop' }));
    }
  });

  it('refuses Python programs at upload with 400 naming programs[i].assemblerLanguage and what to use instead', async () => {
    for (const language of [
      'QISKIT-PYTHON',
      'BRAKET-PYTHON',
      'QUIL-PYTHON',
      'QRISP-PYTHON',
      'PYTHON-PYTHON',
      'PYTHON',
      'QRISP',
    ]) {
      const r = await http.post('/deployments', {
        name: `py-${language}`,
        programs: [
          { quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' },
          {
            quantumCircuit: 'from qiskit import QuantumCircuit\nqc = QuantumCircuit(2)\n',
            assemblerLanguage: language,
          },
        ],
      });
      expect({ language, status: r.status }).toEqual({ language, status: 400 });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0].field).toBe('programs[1].assemblerLanguage');
      expect(r.body.message).toMatch(
        new RegExp(
          `^programs\\[1\\]\\.assemblerLanguage must be one of QASM2, QASM3, QUIL, QISKIT, BRAKET, IONQ: ${language} programs are .*Qunest never runs code`,
        ),
      );
    }
    expect((await http.get('/deployments?name=py-')).body.total).toBe(0);
  });

  it('stores the languages the entity declares: the migrated check constraint is the one the entities describe', async () => {
    const orm = t.get<MikroORM>(MikroORM);
    const drift = (await orm.schema.getUpdateSchemaSQL({ wrap: false }))
      .split('\n')
      .filter((line) => /assembler_language/.test(line));
    expect(drift).toEqual([]);
    const constraint = await orm.em
      .getConnection()
      .execute(
        `select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'quantum_program_assembler_language_check'`,
      );
    for (const l of [...UPLOAD_LANGUAGES, 'QRISP', 'PYTHON']) expect(constraint[0].def).toContain(`'${l}'`);
    expect(constraint[0].def).not.toContain('QISKIT-PYTHON');
  });

  it('keeps a QRISP program stored before uploads refused the name readable, and refuses to run it naming the language', async () => {
    const conn = t.get<MikroORM>(MikroORM).em.getConnection();
    const deploymentId = randomUUID();
    const programId = randomUUID();
    await conn.execute(
      `insert into "deployment" ("id", "name", "deployed_by", "deployed_at") values (?, 'legacy-qrisp', null, now())`,
      [deploymentId],
    );
    await conn.execute(
      `insert into "quantum_program" ("id", "deployment_id", "position", "quantum_circuit", "assembler_language") values (?, ?, 0, 'qc = QuantumCircuit(2)', 'QRISP')`,
      [programId, deploymentId],
    );
    const read = await http.get(`/deployments/${deploymentId}`);
    expect(read.status).toBe(200);
    expect(read.body.programs).toEqual([
      expect.objectContaining({ id: programId, assemblerLanguage: 'QRISP', quantumCircuit: 'qc = QuantumCircuit(2)' }),
    ]);
    const job = await http.post('/jobs', { deploymentId, deviceId: localDeviceId, shots: 10 });
    expect(job.status).toBe(422);
    expect(job.body.message).toContain('QRISP');
    // and it cannot be stored again under that name
    const again = await http.put(`/deployments/${deploymentId}`, {
      name: 'legacy-qrisp',
      programs: [{ quantumCircuit: 'qc = QuantumCircuit(2)', assemblerLanguage: 'QRISP' }],
    });
    expect(again.status).toBe(400);
    expect(again.body.errors[0].field).toBe('programs[0].assemblerLanguage');
  });

  it('parses at upload every program in a language the engine reads, refusing a bad one with its line and column', async () => {
    for (const language of READ) {
      const good = await http.post('/deployments', {
        name: `parsed-${language}`,
        programs: [{ quantumCircuit: BELL[language], assemblerLanguage: language }],
      });
      expect({ language, status: good.status }).toEqual({ language, status: 201 });
      const bad = await http.post('/deployments', {
        name: `bad-${language}`,
        programs: [
          { quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' },
          { quantumCircuit: `${BELL[language]}\n@@@ not a program\n`, assemblerLanguage: language },
        ],
      });
      expect({ language, status: bad.status }).toEqual({ language, status: 422 });
      expect(bad.body).toMatchObject({ programIndex: 1, line: expect.any(Number), column: expect.any(Number) });
      expect(bad.body.line).toBeGreaterThan(1);
    }
    expect((await http.get('/deployments?name=bad-')).body.total).toBe(0);
  });

  it.each([
    ['IONQ', 'IonQ JSON', BELL.IONQ],
    ['QUIL', 'Quil', BELL.QUIL],
    ['QUIL', 'pyQuil builder code', PYQUIL_BELL],
    ['QISKIT', 'Qiskit builder code', BELL.QISKIT],
    ['BRAKET', 'Braket builder code', BELL.BRAKET],
  ])(
    'stores a %s deployment (%s); a job on the LOCAL device runs it to FINISHED with the Bell distribution once the engine reads it',
    async (language, what, source) => {
      const dep = await http.post('/deployments', {
        name: `bell-${language}-${what}`,
        programs: [{ quantumCircuit: source, assemblerLanguage: language }],
      });
      expect(dep.status).toBe(201);
      expect(dep.body.programs[0]).toMatchObject({ assemblerLanguage: language, quantumCircuit: source });
      const job = await http.post('/jobs', {
        deploymentId: dep.body.id,
        deviceId: localDeviceId,
        shots: 2000,
        seed: 3,
      });
      if (!canParse(language)) {
        // stored, but no device runs it yet: the job is refused naming the language
        expect(job.status).toBe(422);
        expect(job.body.message).toContain(language);
        return;
      }
      expect(job.status).toBe(201);
      const done = await waitUntil(
        async () => {
          const j = (await http.get(`/jobs/${job.body.id}`)).body;
          return ['FINISHED', 'ERROR', 'CANCELED'].includes(j.state) ? j : undefined;
        },
        `the ${language} job`,
        60_000,
      );
      expect({ state: done.state, results: done.state === 'FINISHED' ? 'ok' : done.results }).toEqual({
        state: 'FINISHED',
        results: 'ok',
      });
      const counts = done.results.find((r: { resultType: string }) => r.resultType === 'COUNTS');
      const registers = counts.meta.registers as { name: string; size: number }[];
      const zeros = registers.map(() => '0x0').join(' ');
      const ones = registers.map((r) => `0x${((1 << r.size) - 1).toString(16)}`).join(' ');
      expect(registers.reduce((n, r) => n + r.size, 0)).toBe(2);
      expect(Object.keys(counts.data).sort()).toEqual([zeros, ones].sort());
      expect(counts.data[zeros] + counts.data[ones]).toBe(2000);
      expect(counts.data[zeros]).toBeGreaterThan(850);
      expect(counts.data[ones]).toBeGreaterThan(850);
    },
    90_000,
  );

  it('asks for a token where the other endpoints do, and translates for a signed-in user', async () => {
    const secret = 'translations-test-secret-of-at-least-32-characters';
    const secured = await startTestApp({
      runWorkers: false,
      databaseUrl: t.config.databaseUrl,
      auth: { jwtSecret: secret, required: true },
    });
    try {
      const api = new Http(`${secured.baseUrl}/api`);
      const body = { quantumCircuit: BELL_QASM2, from: 'QASM2', to: WRITE[0] };
      expect((await api.post('/translations', body)).status).toBe(401);
      expect((await api.get('/translations/languages')).status).toBe(401);
      expect((await api.as('not-a-token').post('/translations', body)).status).toBe(401);
      const token = await new SignJWT({ sub: 'alice', roles: ['user'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(secret));
      const r = await api.as(token).post('/translations', body);
      expect(r.status).toBe(200);
      expect(r.body.language).toBe(WRITE[0]);
    } finally {
      await secured.close();
    }
  });

  it('is in the OpenAPI document with its body, answers and language enums', async () => {
    const doc = (await new Http(t.baseUrl).get('/api/docs/openapi.json')).body;
    const post = doc.paths['/api/translations'].post;
    expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '422', '429']);
    const schemas = doc.components.schemas;
    expect(schemas.TranslateDto.properties.from.enum).toEqual([...UPLOAD_LANGUAGES]);
    expect(schemas.TranslateDto.properties.to.enum).toEqual([...UPLOAD_LANGUAGES]);
    expect(schemas.TranslateDto.required.sort()).toEqual(['from', 'quantumCircuit', 'to']);
    expect(Object.keys(schemas.TranslationDto.properties).sort()).toEqual(['language', 'quantumCircuit', 'warnings']);
    expect(doc.paths['/api/translations/languages'].get).toBeDefined();
    expect(schemas.ProgramInputDto.properties.assemblerLanguage.enum).toEqual([...UPLOAD_LANGUAGES]);
  });
});
