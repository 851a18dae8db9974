// The state of the admin page that is not the DOM: the route (view, job filters, selected job) as it
// is kept in the URL, the query the jobs list sends, which live jobs a filter shows, the overview's
// counts per state and the per-minute series of the last hour. Plain functions and one class, no
// DOM and no fetch, so that jest can test them (test/admin-ui-store.e2e-spec.ts).

export const JOB_STATES = ['READY', 'BLOCKED', 'RUNNING', 'FINISHED', 'ERROR', 'CANCELED'];
export const TERMINAL = new Set(['FINISHED', 'ERROR', 'CANCELED']);
export const VIEWS = ['jobs', 'overview', 'providers', 'webhooks'];
const FILTER_KEYS = ['q', 'state', 'deviceId', 'deploymentId', 'owner', 'createdAfter', 'createdBefore'];

/** An empty set of job filters. */
export function emptyFilters() {
  return {
    q: '',
    state: '',
    deviceId: '',
    deploymentId: '',
    owner: '',
    tag: [],
    createdAfter: '',
    createdBefore: '',
  };
}

/**
 * The route of a URL's query: `view` (jobs when missing or unknown), the job filters (tag
 * repeatable) and `job`, the job whose detail is open.
 */
export function parseRoute(search) {
  const p = new URLSearchParams(search);
  const view = VIEWS.includes(p.get('view')) ? p.get('view') : 'jobs';
  const filters = emptyFilters();
  for (const k of FILTER_KEYS) filters[k] = (p.get(k) ?? '').trim();
  if (filters.state && !JOB_STATES.includes(filters.state)) filters.state = '';
  filters.tag = [...new Set(p.getAll('tag').flatMap(splitTags))];
  return { view, filters, job: p.get('job') ?? '' };
}

/** The query string of a route ('' for the default view with no filters), in a stable order. */
export function routeToSearch(route) {
  const p = new URLSearchParams();
  if (route.view && route.view !== 'jobs') p.set('view', route.view);
  const f = route.filters ?? emptyFilters();
  for (const k of FILTER_KEYS) if (f[k]) p.set(k, f[k]);
  for (const t of f.tag ?? []) p.append('tag', t);
  if (route.job) p.set('job', route.job);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** "a, b c" -> ['a', 'b', 'c'] */
export function splitTags(text) {
  return String(text ?? '')
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
}

/** True when the filters restrict the list at all. */
export function hasFilters(f) {
  return FILTER_KEYS.some((k) => f[k]) || f.tag.length > 0;
}

/**
 * A date from a filter field (a datetime-local value "2026-12-02T13:05", a date "2026-12-02", or a
 * full ISO time) as the ISO time the API takes; '' when it is not a date.
 */
export function toIso(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** The query of GET /api/jobs for these filters and this page. */
export function jobsQuery(f, { limit = 100, offset = 0 } = {}) {
  const p = new URLSearchParams({ limit: String(limit) });
  if (offset) p.set('offset', String(offset));
  if (f.state) p.set('state', f.state);
  if (f.deviceId) p.set('deviceId', f.deviceId);
  if (f.deploymentId) p.set('deploymentId', f.deploymentId);
  if (f.owner) p.set('owner', f.owner);
  for (const t of f.tag) p.append('tag', t);
  if (f.q) p.set('q', f.q);
  const after = toIso(f.createdAfter);
  const before = toIso(f.createdBefore);
  if (after) p.set('createdAfter', after);
  if (before) p.set('createdBefore', before);
  return p;
}

/**
 * Whether a job (as the list or a live event knows it) passes the filters, as the API would decide:
 * `q` is a case-insensitive part of the name or the start of the id; tags must all be on the job.
 * Fields a live event does not carry (name, tags) count as passing unless the filter needs them.
 */
export function matchesFilters(job, f) {
  if (f.state && job.state !== f.state) return false;
  if (f.deviceId && job.deviceId !== f.deviceId) return false;
  if (f.deploymentId && job.deploymentId !== f.deploymentId) return false;
  if (f.owner) {
    // a job answers executedBy, a live event ownerId; public jobs have none
    const owner = job.executedBy !== undefined ? job.executedBy : job.ownerId;
    if (owner === undefined) return true;
    if ((f.owner === 'public' ? null : f.owner) !== owner) return false;
  }
  if (f.tag.length && !f.tag.every((t) => (job.tags ?? []).includes(t))) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const byName = (job.name ?? '').toLowerCase().includes(q);
    const byId = String(job.id ?? job.jobId ?? '').startsWith(q);
    if (!byName && !byId) return false;
  }
  const created = Date.parse(job.createdAt ?? job.at ?? '');
  const after = toIso(f.createdAfter);
  const before = toIso(f.createdBefore);
  if (after && !(created >= Date.parse(after))) return false;
  if (before && !(created < Date.parse(before))) return false;
  return true;
}

/** How long a job waited before it ran (or has been waiting, at `now`), in ms; null when unknown. */
export function waitMs(job, now = Date.now()) {
  const created = Date.parse(job.createdAt);
  if (!Number.isFinite(created)) return null;
  if (typeof job.waitTimeSeconds === 'number') return job.waitTimeSeconds * 1000;
  const started = Date.parse(job.startedAt ?? '');
  if (Number.isFinite(started)) return Math.max(0, started - created);
  if (TERMINAL.has(job.state)) {
    const finished = Date.parse(job.finishedAt ?? '');
    return Number.isFinite(finished) ? Math.max(0, finished - created) : null;
  }
  return Math.max(0, now - created);
}

/** How long a job ran (or has been running), in ms; null when it never started. */
export function runMs(job, now = Date.now()) {
  const started = Date.parse(job.startedAt ?? '');
  if (!Number.isFinite(started)) return null;
  const finished = Date.parse(job.finishedAt ?? '');
  return Math.max(0, (Number.isFinite(finished) ? finished : now) - started);
}

/** The p-th percentile (0..100) of numbers, nearest rank; null for none. */
export function percentile(values, p) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const rank = Math.ceil((p / 100) * v.length);
  return v[Math.min(v.length - 1, Math.max(0, rank - 1))];
}

/** "850 ms", "4.2 s", "3 min 5 s", "2 h 10 min"; '—' for none. */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return m < 60 ? `${m} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * The overview's live model: jobs per state, the jobs that have not ended (per device: the queue),
 * and the jobs that ended in the last hour (for the per-minute series). It starts from REST answers
 * (setCounts, addActive, addEnded) and follows the socket's events (apply). When an event cannot be
 * applied exactly (a job it has never seen changes state), `stale` turns true: the caller recounts.
 */
export class OverviewModel {
  constructor(windowMinutes = 60) {
    this.windowMs = windowMinutes * 60_000;
    this.counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0]));
    /** jobId -> {id, state, deviceId, createdAt, startedAt} of jobs that have not ended */
    this.active = new Map();
    /** jobId -> {id, state, createdAt, startedAt, finishedAt} of jobs that ended in the window */
    this.ended = new Map();
    this.seq = new Map();
    this.stale = false;
  }

  setCounts(counts) {
    for (const s of JOB_STATES) this.counts[s] = counts[s] ?? 0;
    this.stale = false;
  }

  addActive(job) {
    if (!TERMINAL.has(job.state)) this.active.set(job.id, pick(job));
  }

  addEnded(job) {
    if (TERMINAL.has(job.state) && job.finishedAt) this.ended.set(job.id, pick(job));
  }

  total() {
    return JOB_STATES.reduce((n, s) => n + this.counts[s], 0);
  }

  /** Jobs waiting (READY or BLOCKED) and running, per device id. */
  queues() {
    const out = new Map();
    for (const j of this.active.values()) {
      const q = out.get(j.deviceId) ?? { waiting: 0, running: 0 };
      if (j.state === 'RUNNING') q.running++;
      else q.waiting++;
      out.set(j.deviceId, q);
    }
    return out;
  }

  /** Takes one socket event; returns true when something the overview shows changed. */
  apply(name, p) {
    if (!name.startsWith('job.') || !p?.jobId) return false;
    if (typeof p.seq === 'number') {
      if (p.seq <= (this.seq.get(p.jobId) ?? 0)) return false;
      this.seq.set(p.jobId, p.seq);
    }
    const known = this.active.get(p.jobId) ?? this.ended.get(p.jobId);
    switch (name) {
      case 'job.created':
        if (known) return false;
        this.counts[p.state] = (this.counts[p.state] ?? 0) + 1;
        this.addActive({ id: p.jobId, state: p.state, deviceId: p.deviceId, createdAt: p.at, startedAt: null });
        return true;
      case 'job.state': {
        if (!known) {
          // a job from before the page loaded (beyond what was loaded): its old state is unknown
          this.stale = true;
          if (TERMINAL.has(p.state))
            this.ended.set(p.jobId, {
              id: p.jobId,
              state: p.state,
              createdAt: null,
              startedAt: null,
              finishedAt: p.at,
            });
          return true;
        }
        if (known.state === p.state) return false;
        this.counts[known.state] = Math.max(0, (this.counts[known.state] ?? 0) - 1);
        this.counts[p.state] = (this.counts[p.state] ?? 0) + 1;
        const job = { ...known, state: p.state };
        if (p.state === 'RUNNING') job.startedAt ??= p.at;
        if (TERMINAL.has(p.state)) {
          job.finishedAt = p.at;
          this.active.delete(p.jobId);
          this.ended.set(p.jobId, job);
        } else this.active.set(p.jobId, job);
        return true;
      }
      case 'job.deleted':
        if (!known) {
          this.stale = true;
          return true;
        }
        this.counts[known.state] = Math.max(0, (this.counts[known.state] ?? 0) - 1);
        this.active.delete(p.jobId);
        this.ended.delete(p.jobId);
        return true;
      default:
        return false;
    }
  }

  /**
   * The last `windowMinutes` as one point a minute (x: the minute's start in seconds, as uPlot
   * wants): jobs finished and failed (ERROR) in it, and the p50/p95 wait and run times (seconds) of
   * the jobs that ended in it; null where no job ended.
   */
  series(now = Date.now()) {
    const minutes = Math.round(this.windowMs / 60_000);
    const end = Math.floor(now / 60_000) * 60_000;
    const start = end - (minutes - 1) * 60_000;
    const out = { x: [], finished: [], failed: [], waitP50: [], waitP95: [], runP50: [], runP95: [] };
    const buckets = Array.from({ length: minutes }, () => ({ finished: 0, failed: 0, waits: [], runs: [] }));
    for (const [id, j] of this.ended) {
      const t = Date.parse(j.finishedAt);
      if (!(t >= start)) {
        if (t < start) this.ended.delete(id);
        continue;
      }
      const b = buckets[Math.min(minutes - 1, Math.floor((t - start) / 60_000))];
      if (j.state === 'FINISHED') b.finished++;
      else if (j.state === 'ERROR') b.failed++;
      const w = j.createdAt ? waitMs(j, t) : null;
      const r = runMs(j, t);
      if (w !== null) b.waits.push(w / 1000);
      if (r !== null) b.runs.push(r / 1000);
    }
    buckets.forEach((b, i) => {
      out.x.push((start + i * 60_000) / 1000);
      out.finished.push(b.finished);
      out.failed.push(b.failed);
      out.waitP50.push(percentile(b.waits, 50));
      out.waitP95.push(percentile(b.waits, 95));
      out.runP50.push(percentile(b.runs, 50));
      out.runP95.push(percentile(b.runs, 95));
    });
    return out;
  }
}

function pick(j) {
  return {
    id: j.id,
    state: j.state,
    deviceId: j.deviceId,
    createdAt: j.createdAt ?? null,
    startedAt: j.startedAt ?? null,
    finishedAt: j.finishedAt ?? null,
  };
}

/**
 * Runs `action(id)` for each id, `concurrency` at a time, and reports each outcome to `onOutcome(id,
 * {ok, error})` as it comes; resolves to {ok, failed} counts. For the bulk cancel and delete.
 */
export async function runBulk(ids, action, onOutcome, concurrency = 4) {
  let next = 0;
  const tally = { ok: 0, failed: 0 };
  async function lane() {
    while (next < ids.length) {
      const id = ids[next++];
      try {
        await action(id);
        tally.ok++;
        onOutcome(id, { ok: true });
      } catch (err) {
        tally.failed++;
        onOutcome(id, { ok: false, error: err?.describe?.() ?? String(err?.message ?? err) });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane));
  return tally;
}

/** A distribution result's data as CSV (key,value lines), the shape GET .../data?format=csv answers. */
export function resultCsv(data) {
  const lines = ['key,value'];
  for (const [k, v] of Object.entries(data ?? {})) lines.push(`${csvCell(k)},${csvCell(v)}`);
  return `${lines.join('\n')}\n`;
}

function csvCell(v) {
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
