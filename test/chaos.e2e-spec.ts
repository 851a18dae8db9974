import { runChaos, type ChaosReport } from '../scripts/chaos';
import { buildDist } from './helpers/build';

/**
 * The short chaos run (issue #15, "Proof"; `npm run chaos` is the long one, docs/reliability.md):
 * 300 Bell jobs through the API and two worker processes (`node dist/src/…`) on a private
 * PostgreSQL, while workers and the API are SIGKILLed and restarted, every database connection is
 * terminated and PostgreSQL itself is restarted, two of each. Then every job must have ended exactly
 * once with correct results. About a minute on two cores (plus the build).
 */

describe('chaos: jobs under killed processes and a restarted database', () => {
  let report: ChaosReport;
  const lines: string[] = [];

  beforeAll(async () => {
    buildDist();
    report = await runChaos({
      jobs: 300,
      workers: 2,
      workerConcurrency: 2,
      clients: 4,
      // Paced, so that the submissions last as long as the faults (about 20 s).
      submitPerSecond: 15,
      secondsBetweenFaults: 1.5,
      minFaults: 8,
      maxFaults: 8,
      settleSeconds: 100,
      maxSeconds: 150,
      log: (line) => lines.push(line),
    });
  }, 300_000);

  afterAll(() => {
    if (report?.problems.length) console.warn(`${report.markdown}\n\n${lines.join('\n')}`);
  });

  it('injected every kind of fault twice', () => {
    const kinds = report.faults.map((f) => f.kind).sort();
    expect(kinds).toEqual([
      'api-kill',
      'api-kill',
      'pg-restart',
      'pg-restart',
      'pg-terminate',
      'pg-terminate',
      'worker-kill',
      'worker-kill',
    ]);
    expect(report.unexpectedExits).toEqual([]);
  });

  it('lost 0: every job answered 201 is in the database, every submission was answered 201', () => {
    expect(report.accepted).toBe(300);
    expect(report.lost).toBe(0);
    expect(report.http.givenUp).toBe(0);
    expect(report.http.status4xx).toEqual({});
  });

  it('stuck 0: no job READY or RUNNING, no queue entry pending', () => {
    expect(report.stuck).toBe(0);
    expect(report.pendingQueueEntries).toBe(0);
    expect(report.states.CANCELED ?? 0).toBe(0);
  });

  it('duplicated 0: one end per job (results, terminal events), events numbered without gaps', () => {
    expect(report.duplicated).toBe(0);
    expect(report.eventSeqProblems).toBe(0);
  });

  it('correct results: every job FINISHED with Bell counts summing to the shots, or ERROR for used-up retries only', () => {
    expect(report.wrongResults).toEqual([]);
    expect(report.errorOther).toEqual([]);
    expect(report.finishedCorrect + report.errorRetriesUsedUp).toBe(report.jobsInDatabase);
    expect(report.jobsInDatabase).toBe(report.accepted + report.unacknowledged);
  });

  it('5xx 0: no client saw a server error (connection errors while the API is down aside)', () => {
    expect({ status5xx: report.http.status5xx, samples: report.http.samples5xx }).toEqual({
      status5xx: {},
      samples: [],
    });
  });

  it('lists no problem', () => {
    expect(report.problems).toEqual([]);
  });
});
