import fc from 'fast-check';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';
import { OpenApiFuzzer, type FuzzRequest, type OpenApiDoc } from './helpers/openapi-fuzz';

/**
 * Property-based fuzzing of the whole HTTP API, driven by its own OpenAPI document (issue #15): for
 * every operation, requests with valid, boundary and invalid path parameters, queries and bodies.
 * No answer may be a 5xx; a 2xx must match the schema the document gives for it; an error must have
 * the API's error shape. A short budget in `npm test` (FUZZ_RUNS, default 25 requests an operation),
 * a longer one in `npm run fuzz`. fast-check prints the seed and the smallest failing request.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/** Destructive operations last, so that the others meet rows that exist. */
const ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

describe('OpenAPI-driven fuzzing of the HTTP API', () => {
  let t: TestApp;
  let http: Http;
  let fuzzer: OpenApiFuzzer;
  const ids = {
    jobs: [] as string[],
    deployments: [] as string[],
    devices: [] as string[],
    providers: [] as string[],
    results: [] as string[],
  };

  /** Makes sure there is a deployment, a finished job with results, and knows the devices. */
  async function seed(): Promise<void> {
    const dep = await http.post('/api/deployments', {
      name: 'fuzz',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    expect(dep.status).toBe(201);
    ids.deployments.push(dep.body.id);
    // the local devices first: the seeded job runs on one (the remote ones have no credentials here)
    const devices = await http.get('/api/devices?limit=100');
    ids.devices = (devices.body.items as { id: string; isLocal: boolean }[])
      .sort((a, b) => Number(b.isLocal) - Number(a.isLocal))
      .map((d) => d.id);
    ids.providers = (await http.get('/api/providers')).body.items.map((p: { id: string }) => p.id);
    await http.patch(`/api/devices/${ids.devices[0]}`, { status: 'online' });
    const job = await http.post('/api/jobs', { deploymentId: dep.body.id, deviceId: ids.devices[0], shots: 10 });
    expect(job.status).toBe(201);
    ids.jobs.push(job.body.id);
    const done = await waitUntil(
      async () => {
        const j = await http.get(`/api/jobs/${job.body.id}`);
        return j.body.state === 'FINISHED' ? j.body : undefined;
      },
      'the seed job to finish',
      30_000,
    );
    ids.results.push(...done.results.map((r: { id: string }) => r.id));
  }

  beforeAll(async () => {
    t = await startTestApp({
      runWorkers: true,
      workerConcurrency: 1,
      localDeviceQubits: 12,
      auth: { jobsPerMinute: 0 },
    });
    http = new Http(t.baseUrl);
    const doc = (await http.get('/api/docs/openapi.json')).body as OpenApiDoc;
    fuzzer = new OpenApiFuzzer(doc, () => ({}));
    await seed();
  });

  afterAll(async () => {
    await t?.close();
  });

  /** The ids a path parameter may take: rows of the kind the path names. */
  function knownFor(template: string): Record<string, string[]> {
    const kind = template.startsWith('/api/jobs')
      ? ids.jobs
      : template.startsWith('/api/deployments')
        ? ids.deployments
        : template.startsWith('/api/devices')
          ? ids.devices
          : ids.providers;
    return { id: kind, resultId: ids.results };
  }

  async function send(req: FuzzRequest): Promise<{ status: number; type: string; body: unknown; text: string }> {
    const headers: Record<string, string> = {};
    let payload: string | undefined;
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(req.body);
    }
    const res = await fetch(t.baseUrl + req.path, { method: req.method, headers, body: payload });
    const text = await res.text();
    const type = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    let body: unknown = text;
    if (type === 'application/json') body = text ? JSON.parse(text) : undefined;
    return { status: res.status, type, body, text };
  }

  it('reads its own OpenAPI document, with every operation', () => {
    const ops = fuzzer.operations();
    expect(ops.length).toBeGreaterThanOrEqual(20);
    expect(ops.map((o) => `${o.method} ${o.template}`)).toEqual(
      expect.arrayContaining(['POST /api/jobs', 'POST /api/deployments', 'GET /api/jobs/{id}']),
    );
  });

  const operations = () => [...fuzzer.operations()].sort((a, b) => ORDER.indexOf(a.method) - ORDER.indexOf(b.method));

  it('answers every generated request without a 5xx, in its documented shape', async () => {
    const stats = new Map<string, Map<number, number>>();
    for (const { method, template, op } of operations()) {
      if (ids.jobs.length === 0 || ids.deployments.length === 0) await seed();
      const local = new OpenApiFuzzer(
        { paths: { [template]: { [method.toLowerCase()]: op } }, components: (fuzzer as any).doc.components },
        () => knownFor(template),
      );
      const seen = new Map<number, number>();
      stats.set(`${method} ${template}`, seen);
      await fc.assert(
        fc.asyncProperty(local.requests(method, template, op), async (req) => {
          const res = await send(req);
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          // A 5xx is a crash, but for the 502 and 503 of the operations that ask a provider and say so
          // in the document (no cloud can be reached from here: a provider out of reach is a 503).
          const gateway = (res.status === 502 || res.status === 503) && String(res.status) in op.responses;
          if (res.status >= 500 && !gateway)
            throw new Error(`${req.label}: ${res.status} for ${req.path} ${res.text.slice(0, 500)}`);
          const documented = op.responses[String(res.status)];
          if (res.status < 300) {
            if (res.status === 204 || res.type === '') return;
            const content = documented?.content ?? {};
            if (!(res.type in content)) {
              throw new Error(
                `${req.label}: ${res.status} answers ${res.type}, which the document does not give for it (${Object.keys(content).join(', ') || 'none'})`,
              );
            }
            const schema = content[res.type]?.schema;
            const why = schema && res.type === 'application/json' ? local.mismatch(res.body, schema) : null;
            if (why) throw new Error(`${req.label}: ${res.status} breaks its schema: ${why}`);
          } else {
            const e = res.body as { statusCode?: unknown; error?: unknown; message?: unknown };
            if (e?.statusCode !== res.status || typeof e.error !== 'string' || typeof e.message !== 'string') {
              throw new Error(`${req.label}: ${res.status} without the error shape: ${res.text.slice(0, 300)}`);
            }
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
    // Every operation was reached, and the valid requests got through somewhere (not all 4xx).
    expect(stats.size).toBe(fuzzer.operations().length);
    const successes = [...stats.values()].reduce(
      (n, s) => n + [...s].filter(([code]) => code < 300).reduce((a, [, c]) => a + c, 0),
      0,
    );
    expect(successes).toBeGreaterThan(stats.size);
    // The service is still up and answers as before.
    expect((await http.get('/api/health')).status).toBe(200);
  }, 600_000);
});
