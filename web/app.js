// Qunest admin page: views for jobs (devices, deployments, the filtered job list with bulk actions,
// a job's detail and a live event feed), an overview, providers and webhooks. The route (view,
// filters, open job) lives in the URL (store.js), so that reload, back/forward and links keep it.
import { ApiError, claimsOf, del, get, getToken, patch, post, setToken } from './api.js';
import { $, clock, h, replace, shortId, when } from './dom.js';
import { Live } from './live.js';
import { renderResults } from './results.js';
import {
  TERMINAL,
  duration,
  emptyFilters,
  hasFilters,
  jobsQuery,
  matchesFilters,
  parseRoute,
  routeToSearch,
  runBulk,
  splitTags,
  waitMs,
} from './store.js';
import { addDownloads, errorView, loadEvents, programsView, renderTimeline } from './detail.js';
import { Overview } from './overview.js';
import { Providers } from './providers.js';
import { Webhooks } from './webhooks.js';
const JOB_PAGE = 100;
const FEED_MAX = 200;
const BELL = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
`;

const state = {
  devices: new Map(),
  deployments: new Map(),
  jobs: new Map(),
  jobsTotal: 0,
  /** jobId -> last event seq applied, so a late event does not undo a newer one. */
  seq: new Map(),
  selected: null,
  /** The route: view, job list filters, open job (from and to the URL). */
  route: parseRoute(location.search),
  /** Ids of the jobs picked for a bulk action. */
  picked: new Set(),
  mode: 'connecting',
  /** How many older jobs "Load older jobs" added. */
  older: 0,
  signatures: {},
};

const rows = new Map(); // jobId -> <tr>

// ---------------------------------------------------------------- loading over REST

let refreshing = null;

/** Reloads devices, deployments and jobs; overlapping calls share one round. */
function refresh(reason = 'load') {
  // the overview follows the socket; it reloads when the socket (re)connects, or with every poll
  if (reason !== 'timer' || state.mode === 'polling') overview.reload();
  refreshing ??= (async () => {
    try {
      await Promise.all([loadDevices(), loadDeployments(), loadJobs()]);
      setBanner(null);
    } catch (err) {
      setBanner(err instanceof ApiError ? err.describe() : String(err));
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function loadDevices() {
  const page = await get('/devices?limit=100');
  state.devices = new Map(page.items.map((d) => [d.id, d]));
  renderDevices();
  renderJobForm();
  renderJobs(); // rows name their device
  if (detailJob) renderDetailFacts(detailJob); // and so does the detail
}

async function loadDeployments() {
  const page = await get('/deployments?limit=100');
  state.deployments = new Map(page.items.map((d) => [d.id, d]));
  $('#deployments-count').textContent =
    page.total > page.items.length ? `${page.items.length} of ${page.total}` : String(page.total);
  renderDeployments();
  renderJobForm();
  renderJobs(); // rows name their deployment
  if (detailJob) renderDetailFacts(detailJob);
}

async function loadJobs() {
  const q = jobQuery();
  const page = await get(`/jobs?${q}`);
  // the filters changed while the answer was on its way: it is of another list
  if (`${jobQuery()}` !== `${q}`) return;
  mergeJobs(page, true);
}

/** Older jobs, a page at a time, after the ones shown. */
async function loadMoreJobs() {
  const q = jobQuery();
  q.set('offset', String(state.jobs.size));
  const page = await get(`/jobs?${q}`);
  const now = jobQuery();
  now.set('offset', q.get('offset'));
  if (`${now}` !== `${q}`) return;
  state.older += page.items.length;
  mergeJobs(page, false);
}

function jobQuery() {
  return jobsQuery(state.route.filters, { limit: JOB_PAGE });
}

/**
 * Takes a page of jobs in. For the first page, a job not in it is gone, unless it is older than the
 * page's oldest job (loaded with "Load older jobs"; deleting it is seen through job.deleted).
 */
function mergeJobs(page, first) {
  const seen = new Set();
  for (const job of page.items) {
    seen.add(job.id);
    const before = state.jobs.get(job.id);
    // an answer read before a job ended must not bring it back to life: terminal states are final
    if (before && TERMINAL.has(before.state) && !TERMINAL.has(job.state)) continue;
    if (state.mode === 'polling' && first) feedFromPoll(before, job);
    state.jobs.set(job.id, job);
  }
  const full = page.items.length === page.limit;
  const oldest = page.items.at(-1)?.id;
  for (const id of first ? [...state.jobs.keys()] : []) {
    if (seen.has(id) || (full && id < oldest)) continue;
    state.jobs.delete(id);
    state.seq.delete(id);
  }
  state.jobsTotal = page.total;
  firstJobsLoad = false;
  renderJobs();
  if (state.selected && state.jobs.has(state.selected)) {
    const job = state.jobs.get(state.selected);
    if (job.state !== detailState) void loadDetail(state.selected);
  }
}

/** While polling there are no events: the feed shows the changes the poll found instead. */
function feedFromPoll(before, job) {
  if (!before) {
    if (firstJobsLoad) return;
    feed('job.created', { jobId: job.id, type: job.type, shots: job.shots }, 'poll');
  } else if (before.state !== job.state) {
    feed('job.state', { jobId: job.id, state: job.state }, 'poll');
  }
}

let firstJobsLoad = true;

// ---------------------------------------------------------------- live events

function onEvent(name, p) {
  feed(name, p, 'live');
  overview.onEvent(name, p);
  if (name === 'device.status') providers.onDeviceStatus(p);
  if (p.jobId && p.jobId === state.selected) timelineSoon();
  switch (name) {
    case 'job.created': {
      // the event carries no tags: with a tag filter, the list asks the API
      if (state.route.filters.tag.length) {
        refreshSoon();
        break;
      }
      if (
        !matches({
          id: p.jobId,
          name: p.name,
          state: p.state,
          deploymentId: p.deploymentId,
          deviceId: p.deviceId,
          createdAt: p.at,
          tags: [],
        })
      )
        break;
      acceptSeq(p);
      // known already (from the answer to our own POST, or a reload that was quicker): keep what we
      // have, which is as new or newer; the job's later events follow this one anyway
      if (state.jobs.has(p.jobId)) break;
      state.jobsTotal++;
      state.jobs.set(p.jobId, {
        id: p.jobId,
        name: p.name ?? null,
        state: p.state,
        progress: p.progress,
        type: p.type,
        shots: p.shots,
        deploymentId: p.deploymentId,
        deviceId: p.deviceId,
        createdAt: p.at,
        startedAt: null,
        finishedAt: null,
      });
      trimJobs();
      renderJobsSoon();
      live.follow();
      break;
    }
    case 'job.state':
    case 'job.progress': {
      const job = state.jobs.get(p.jobId);
      if (!job) {
        if (name === 'job.state') void refreshSoon();
        break;
      }
      if (!acceptSeq(p)) break;
      if (p.state) job.state = p.state;
      job.progress = p.progress;
      if ('queuePosition' in p) job.queuePosition = p.queuePosition;
      if ('providerStatus' in p) job.providerStatus = p.providerStatus;
      if (name === 'job.state') {
        if (p.state === 'RUNNING') job.startedAt ??= p.at;
        if (TERMINAL.has(p.state)) job.finishedAt ??= p.at;
        if (!matches(job)) state.jobs.delete(p.jobId);
        if (p.jobId === state.selected) void loadDetail(p.jobId);
      }
      renderJobsSoon();
      break;
    }
    case 'job.result':
    case 'job.error':
      acceptSeq(p);
      if (p.jobId === state.selected) void loadDetail(p.jobId);
      break;
    case 'job.deleted':
      if (state.jobs.delete(p.jobId)) state.jobsTotal = Math.max(0, state.jobsTotal - 1);
      state.seq.delete(p.jobId);
      state.picked.delete(p.jobId);
      if (p.jobId === state.selected) closeDetail();
      renderJobsSoon();
      break;
    case 'deployment.created':
    case 'deployment.updated':
    case 'deployment.deleted':
      void loadDeployments().then(() => live.follow());
      break;
    case 'device.status': {
      const d = state.devices.get(p.deviceId);
      if (d) {
        d.status = p.status;
        renderDevices();
        renderJobForm();
      } else void loadDevices();
      break;
    }
  }
}

/** A subscription's starting state: newer job states than ours are taken over. */
function onSnapshot(target, snap) {
  if (!snap || typeof snap !== 'object') return;
  if (target.all) {
    const counts = Object.entries(snap.jobsByState ?? {})
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    $('#live').title = `all events; jobs: ${counts || 'none'}; sockets connected: ${snap.connections ?? '?'}`;
    return;
  }
  const briefs = snap.job ? [snap.job] : (snap.jobs ?? snap.activeJobs ?? []);
  let touched = false;
  for (const b of briefs) {
    const job = state.jobs.get(b.id);
    if (!job || !acceptSeq({ jobId: b.id, seq: b.seq })) continue;
    Object.assign(
      job,
      { state: b.state, progress: b.progress },
      snap.job && b === snap.job ? { startedAt: b.startedAt, finishedAt: b.finishedAt } : {},
    );
    touched = true;
  }
  if (touched) renderJobsSoon();
}

function matches(job) {
  return matchesFilters(job, state.route.filters);
}

function acceptSeq(p) {
  if (typeof p.seq !== 'number') return true;
  const last = state.seq.get(p.jobId) ?? 0;
  if (p.seq <= last) return false;
  state.seq.set(p.jobId, p.seq);
  return true;
}

let soon = null;
function refreshSoon() {
  soon ??= setTimeout(() => {
    soon = null;
    void refresh();
  }, 300);
}

function onMode(mode, detail) {
  state.mode = mode;
  const pill = $('#live');
  const text = {
    connecting: 'connecting…',
    all: 'live · all events',
    scoped: 'live · your jobs',
    polling: 'polling every 2 s',
  }[mode];
  pill.textContent = text;
  pill.className = `pill ${mode === 'all' || mode === 'scoped' ? 'ok' : mode === 'polling' ? 'warn' : ''}`;
  pill.title = detail ?? 'How this page gets updates';
  renderWho();
}

const overview = new Overview({
  devices: () => state.devices,
  openState: (s) => navigate({ view: 'jobs', filters: { ...emptyFilters(), state: s }, job: '' }),
  openDevice: (id) => navigate({ view: 'jobs', filters: { ...emptyFilters(), deviceId: id }, job: '' }),
});
const providers = new Providers({
  toast,
  onDevice: (d) => {
    state.devices.set(d.id, { ...state.devices.get(d.id), ...d });
    renderDevices();
    renderJobForm();
  },
  reloadDevices: () => loadDevices().catch(toast),
});
const webhooks = new Webhooks({ toast });

const live = new Live({
  onEvent,
  onMode,
  refresh,
  onSnapshot,
  scope: () => ({
    devices: [...state.devices.keys()],
    deployments: [...state.deployments.keys()],
    jobs: [...state.jobs.values()].filter((j) => !TERMINAL.has(j.state)).map((j) => j.id),
  }),
});

// ---------------------------------------------------------------- feed

function feed(name, p, source) {
  const list = $('#feed');
  const id = p.jobId ?? p.deploymentId ?? p.deviceId;
  // progress comes often: one line per job, updated in place
  if (name === 'job.progress') {
    const top = list.firstElementChild;
    if (top?.dataset.name === 'job.progress' && top.dataset.id === id) {
      replace(top.querySelector('.what'), summary(name, p));
      return;
    }
  }
  const kind = name.split('.')[0];
  list.prepend(
    h(
      'li',
      { class: `event ${kind} ${name.replace('.', '-')}`, dataset: { name, id } },
      h('time', {}, clock(p.at)),
      h('span', { class: 'name' }, name),
      source === 'poll' ? h('span', { class: 'tag', title: 'found by polling, not pushed' }, 'poll') : null,
      h('span', { class: 'what' }, summary(name, p)),
    ),
  );
  while (list.children.length > FEED_MAX) list.lastElementChild.remove();
  $('#feed-count').textContent = String(list.children.length);
}

function summary(name, p) {
  const job = `job …${shortId(p.jobId)}`;
  switch (name) {
    case 'job.created':
      return `${job} ${p.type ?? ''} ${p.shots ? `× ${p.shots}` : ''}`;
    case 'job.state':
      return `${job} → ${p.state}`;
    case 'job.progress':
      return `${job} ${Math.round(p.progress)} %`;
    case 'job.result':
      return `${job} ${p.result?.resultType ?? 'result'}`;
    case 'job.error':
      return `${job}: ${p.message}`;
    case 'job.deleted':
      return `${job} deleted`;
    case 'device.status':
      return `${p.name ?? state.devices.get(p.deviceId)?.name ?? shortId(p.deviceId)} is ${p.status}`;
    default:
      return `“${p.name ?? state.deployments.get(p.deploymentId)?.name ?? shortId(p.deploymentId)}”`;
  }
}

// ---------------------------------------------------------------- devices

function changed(key, value) {
  const sig = JSON.stringify(value);
  if (state.signatures[key] === sig) return false;
  state.signatures[key] = sig;
  return true;
}

function renderDevices() {
  const devices = [...state.devices.values()];
  if (!changed('devices', devices)) return;
  $('#devices-count').textContent = String(devices.length);
  replace(
    $('#devices tbody'),
    devices.map((d) => {
      const online = d.status === 'online';
      return h(
        'tr',
        { dataset: { deviceId: d.id, status: d.status } },
        h(
          'td',
          {},
          h('strong', {}, d.name),
          h(
            'div',
            { class: 'sub' },
            [d.providerName, d.isSimulator ? 'simulator' : 'hardware', d.isLocal ? 'local' : null]
              .filter(Boolean)
              .join(' · '),
          ),
        ),
        h('td', { class: 'num' }, d.numQubits),
        h('td', {}, h('span', { class: `badge ${online ? 'online' : 'offline'}` }, d.status)),
        h(
          'td',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              class: 'small ghost',
              title: 'Admins only',
              onclick: () => setDeviceStatus(d, online ? 'offline' : 'online'),
            },
            online ? 'Set offline' : 'Set online',
          ),
        ),
      );
    }),
  );
}

async function setDeviceStatus(device, status) {
  try {
    const updated = await patch(`/devices/${device.id}`, { status });
    state.devices.set(updated.id, updated);
    renderDevices();
    renderJobForm();
  } catch (err) {
    toast(err);
  }
}

// ---------------------------------------------------------------- deployments

function renderDeployments() {
  const list = [...state.deployments.values()];
  if (
    !changed('deployments', [
      list.map((d) => [d.id, d.name, d.programs.map((p) => p.id)]),
      [...openDeployments],
      programTexts.size,
      translationsVersion,
      translationLanguages,
    ])
  )
    return;
  // a re-render replaces the rows: keep the keyboard on the "Translate to" select that had it
  const focused = document.activeElement?.dataset?.translateOf;
  replace(
    $('#deployments tbody'),
    list.length
      ? list.flatMap((d) => [
          h(
            'tr',
            { dataset: { deploymentId: d.id } },
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  title: 'Show or hide its programs',
                  'aria-expanded': String(openDeployments.has(d.id)),
                  onclick: () => toggleDeployment(d.id),
                },
                d.name,
              ),
              h(
                'div',
                { class: 'sub' },
                h('span', { class: 'mono', title: d.id }, shortId(d.id)),
                ` · ${d.programs.map((p) => p.assemblerLanguage).join(', ')}`,
              ),
            ),
            h('td', {}, when(d.deployedAt)),
            h(
              'td',
              { class: 'actions' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'small ghost',
                  title: 'Use in the job form',
                  onclick: () => pickDeployment(d.id),
                },
                'Use',
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'small ghost',
                  title: 'Show only its jobs (again: all)',
                  onclick: () => filterByDeployment(d.id),
                },
                'Jobs',
              ),
              h(
                'button',
                { type: 'button', class: 'small ghost danger', onclick: () => deleteDeployment(d) },
                'Delete',
              ),
            ),
          ),
          openDeployments.has(d.id)
            ? h(
                'tr',
                { class: 'programs', dataset: { programsOf: d.id } },
                h(
                  'td',
                  { colspan: 3 },
                  d.programs.map((p, i) =>
                    h(
                      'div',
                      { class: 'program' },
                      h(
                        'div',
                        { class: 'sub' },
                        `program ${i + 1} · ${p.assemblerLanguage} · ${p.sizeBytes.toLocaleString()} bytes`,
                      ),
                      programTexts.has(p.id)
                        ? h('pre', { class: 'json' }, programTexts.get(p.id))
                        : h('p', { class: 'empty' }, 'loading…'),
                      programTexts.has(p.id) ? translationView(p) : null,
                    ),
                  ),
                ),
              )
            : null,
        ])
      : h('tr', {}, h('td', { colspan: 3, class: 'empty' }, 'No deployments yet.')),
  );
  if (focused) document.querySelector(`select[data-translate-of="${CSS.escape(focused)}"]`)?.focus();
}

// ---------------------------------------------------------------- translations

/**
 * What the engine reads and writes, from GET /translations/languages: {languages, read, write};
 * null until known (or when it could not be loaded: the select then says so).
 */
let translationLanguages = null;
/** programId -> {to, pending, result: {language, quantumCircuit, warnings} | null, error: string | null} */
const translations = new Map();
let translationsVersion = 0;

async function loadTranslationLanguages() {
  try {
    translationLanguages = await get('/translations/languages');
  } catch {
    translationLanguages = null;
  }
  renderDeployments();
}

/** The "Translate to" select of a program, and the translation (or its error) once asked for. */
function translationView(p) {
  const t = translations.get(p.id);
  const langs = translationLanguages;
  const readable = langs?.read.includes(p.assemblerLanguage);
  const targets = langs ? langs.write : [];
  const why = !langs
    ? 'the languages could not be loaded'
    : !readable
      ? `the engine cannot read ${p.assemblerLanguage} yet`
      : !targets.length
        ? 'the engine writes no language yet'
        : null;
  const id = `translate-${p.id}`;
  return h(
    'div',
    { class: 'translate', dataset: { translationOf: p.id } },
    h(
      'div',
      { class: 'row' },
      h('label', { for: id, class: 'translate-label' }, 'Translate to'),
      h(
        'select',
        {
          id,
          class: 'small',
          dataset: { translateOf: p.id },
          disabled: why !== null,
          title: why ?? `Translate this ${p.assemblerLanguage} program (POST /api/translations); nothing is stored`,
          onchange: (ev) => translateProgram(p, ev.currentTarget.value),
        },
        h('option', { value: '', selected: !t?.to }, why ? `— (${why})` : '—'),
        targets.map((l) => h('option', { value: l, selected: t?.to === l }, l)),
      ),
      t?.pending ? h('span', { class: 'translate-label', role: 'status' }, 'translating…') : null,
    ),
    t?.error ? h('div', { class: 'error', role: 'alert' }, t.error) : null,
    t?.result
      ? h(
          'div',
          { class: 'translation' },
          h(
            'div',
            { class: 'translation-meta' },
            `${t.result.language} · ${t.result.quantumCircuit.length.toLocaleString()} characters`,
            t.result.warnings.length ? ` · ${t.result.warnings.length} warnings` : '',
          ),
          t.result.warnings.length
            ? h(
                'ul',
                { class: 'warnings' },
                t.result.warnings.map((w) => h('li', {}, w)),
              )
            : null,
          h('pre', { class: 'json', tabindex: '0' }, t.result.quantumCircuit),
        )
      : null,
  );
}

async function translateProgram(p, to) {
  if (!to) {
    translations.delete(p.id);
    translationsVersion++;
    renderDeployments();
    return;
  }
  const mine = { to, pending: true, result: null, error: null };
  translations.set(p.id, mine);
  translationsVersion++;
  renderDeployments();
  try {
    mine.result = await post('/translations', {
      quantumCircuit: programTexts.get(p.id),
      from: p.assemblerLanguage,
      to,
    });
  } catch (err) {
    mine.error = err instanceof ApiError ? err.describe() : String(err);
  } finally {
    mine.pending = false;
  }
  // a later choice for this program wins over this answer
  if (translations.get(p.id) !== mine) return;
  translationsVersion++;
  renderDeployments();
}

/** Deployments whose programs are shown. */
const openDeployments = new Set();

/**
 * Program texts by program id. The list of deployments carries summaries only (no texts), so a
 * deployment's texts are fetched from GET /deployments/:id when it is opened; a program id never
 * changes its text (a replaced deployment gets new programs), so they stay valid.
 */
const programTexts = new Map();

function rememberTexts(deployment) {
  for (const p of deployment.programs)
    if (typeof p.quantumCircuit === 'string') programTexts.set(p.id, p.quantumCircuit);
}

function toggleDeployment(id) {
  if (!openDeployments.delete(id)) {
    openDeployments.add(id);
    if (state.deployments.get(id)?.programs.some((p) => !programTexts.has(p.id))) loadProgramTexts(id);
  }
  renderDeployments();
}

async function loadProgramTexts(id) {
  try {
    rememberTexts(await get(`/deployments/${id}`));
  } catch (err) {
    openDeployments.delete(id);
    toast(err);
  }
  renderDeployments();
}

function filterByDeployment(id) {
  const f = state.route.filters;
  navigate({ filters: { ...f, deploymentId: f.deploymentId === id ? '' : id } });
}

function pickDeployment(id) {
  $('#job-form [name=deploymentId]').value = id;
  $('#job-form [name=shots]').focus();
}

async function deleteDeployment(d) {
  if (!confirm(`Delete deployment “${d.name}”? Its jobs stay, without a deployment.`)) return;
  try {
    await del(`/deployments/${d.id}`);
    state.deployments.delete(d.id);
    renderDeployments();
    renderJobForm();
  } catch (err) {
    toast(err);
  }
}

async function createDeployment(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const errorBox = $('#deployment-error');
  errorBox.hidden = true;
  const name = form.name.value.trim();
  const quantumCircuit = form.program.value;
  if (!name || !quantumCircuit.trim()) return showError(errorBox, 'Give a name and a program.');
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const dep = await post('/deployments', {
      name,
      programs: [{ quantumCircuit, assemblerLanguage: form.language.value }],
    });
    rememberTexts(dep);
    state.deployments = new Map([[dep.id, dep], ...state.deployments]);
    renderDeployments();
    renderJobForm();
    pickDeployment(dep.id);
    form.name.value = '';
    live.follow();
  } catch (err) {
    showError(errorBox, err instanceof ApiError ? err.describe() : String(err));
    if (err instanceof ApiError && typeof err.body.line === 'number') selectLine(form.program, err.body.line);
  } finally {
    button.disabled = false;
  }
}

/** Puts the caret on (and selects) a 1-based line of a textarea, to show where a program is wrong. */
function selectLine(textarea, line) {
  const lines = textarea.value.split('\n');
  if (line < 1 || line > lines.length) return;
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(start, start + lines[line - 1].length);
}

// ---------------------------------------------------------------- jobs

/** The order of the job form's devices: LOCAL's ideal simulators, LOCAL's noisy ones, then the rest. */
function deviceRank(d) {
  if (d.providerName !== 'LOCAL') return 2;
  return d.noiseModel ? 1 : 0;
}

function renderJobForm() {
  const form = $('#job-form');
  const filter = $('#jobs-deployment-filter');
  const deployments = [...state.deployments.values()].map((d) => [d.id, d.name]);
  if (changed('deployment-filter', deployments)) {
    const current = filter.value;
    replace(
      filter,
      h('option', { value: '' }, 'all deployments'),
      deployments.map(([value, label]) => h('option', { value }, label)),
    );
    filter.value = deployments.some(([v]) => v === current) ? current : '';
  }
  const deviceFilter = $('#jobs-device-filter');
  const devices = [...state.devices.values()].map((d) => [d.id, `${d.providerName} / ${d.name}`]);
  if (changed('device-filter', devices)) {
    replace(
      deviceFilter,
      h('option', { value: '' }, 'all devices'),
      devices.map(([value, label]) => h('option', { value }, label)),
    );
  }
  // the route decides (a link may name a device or deployment beyond the first 100)
  ensureOption(filter, state.route.filters.deploymentId);
  filter.value = state.route.filters.deploymentId;
  ensureOption(deviceFilter, state.route.filters.deviceId);
  deviceFilter.value = state.route.filters.deviceId;
  fillSelect(
    form.deploymentId,
    [...state.deployments.values()].map((d) => [d.id, d.name]),
    'no deployments — create one',
  );
  fillSelect(
    form.deviceId,
    // The LOCAL provider's devices first, its ideal simulator before the noisy ones: the default
    // choice runs every language the engine reads, without noise.
    [...state.devices.values()]
      .sort((a, b) => deviceRank(a) - deviceRank(b))
      .map((d) => [
        d.id,
        `${d.providerName} / ${d.name} (${d.numQubits} q)${d.status === 'online' ? '' : ' — offline'}`,
      ]),
    'no devices',
  );
}

function fillSelect(select, options, emptyText) {
  if (!changed(`select-${select.name}`, options)) return;
  const current = select.value;
  replace(
    select,
    options.length
      ? options.map(([value, label]) => h('option', { value }, label))
      : h('option', { value: '' }, emptyText),
  );
  if (options.some(([v]) => v === current)) select.value = current;
}

async function submitJob(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const errorBox = $('#job-error');
  errorBox.hidden = true;
  const body = {
    deploymentId: form.deploymentId.value,
    deviceId: form.deviceId.value,
    shots: Number(form.shots.value),
    type: form.type.value,
  };
  if (form.seed.value !== '') body.seed = Number(form.seed.value);
  if (body.type === 'ESTIMATOR') {
    try {
      body.observables = parseObservables(form.observables.value);
    } catch (err) {
      return showError(errorBox, err.message);
    }
  }
  if (!body.deploymentId || !body.deviceId) return showError(errorBox, 'Choose a deployment and a device.');
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    upsertJob(await post('/jobs', body));
  } catch (err) {
    showError(errorBox, err instanceof ApiError ? err.describe() : String(err));
  } finally {
    button.disabled = false;
  }
}

/** "ZZ:1, XX:-0.5, IZ" → [{pauli, coefficient}] */
function parseObservables(text) {
  const list = text
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [pauli, c] = item.split(/[:*=\s]+/);
      const coefficient = c === undefined ? 1 : Number(c);
      if (!/^[IXYZ]+$/i.test(pauli) || !Number.isFinite(coefficient))
        throw new Error(`“${item}” is not a Pauli term like ZZ:1`);
      return { pauli: pauli.toUpperCase(), coefficient };
    });
  if (!list.length) throw new Error('An ESTIMATOR job needs observables, e.g. ZZ:1, XX:0.5');
  return list;
}

function upsertJob(job) {
  if (!matches(job)) return;
  const known = state.jobs.get(job.id);
  if (!known) state.jobsTotal++;
  // an answer older than what the events said must not bring an ended job back
  if (known && TERMINAL.has(known.state) && !TERMINAL.has(job.state)) return;
  state.jobs.set(job.id, { ...known, ...job });
  renderJobs();
  live.follow();
}

async function jobAction(job, action) {
  try {
    if (action === 'delete') {
      if (!confirm(`Delete job …${shortId(job.id)} and its results?`)) return;
      await del(`/jobs/${job.id}`);
      state.jobs.delete(job.id);
      if (state.selected === job.id) closeDetail();
      renderJobs();
    } else {
      const result = await post(`/jobs/${job.id}/${action}`);
      upsertJob(result);
      if (action === 'rerun') select(result.id);
      else if (state.selected === job.id) void loadDetail(job.id);
    }
  } catch (err) {
    toast(err);
  }
}

/** How long a job ran (or has been running / waiting), for the table. */
function took(job) {
  if (job.finishedAt) {
    const from = job.startedAt ?? job.createdAt;
    return duration(Date.parse(job.finishedAt) - Date.parse(from));
  }
  return job.state === 'RUNNING' ? 'running' : 'waiting';
}

/** Live additions would grow the table forever: keep the newest JOB_PAGE * 2 (and the selected one). */
function trimJobs() {
  const excess = state.jobs.size - JOB_PAGE * 2 - state.older;
  if (excess <= 0) return;
  for (const job of sortedJobs().slice(-excess)) {
    if (job.id !== state.selected) state.jobs.delete(job.id);
  }
}

let jobsFrame = 0;

/** Events can come by the hundred a second: the table is redrawn at most once a frame. */
function renderJobsSoon() {
  jobsFrame ||= requestAnimationFrame(() => {
    jobsFrame = 0;
    renderJobs();
  });
}

function sortedJobs() {
  // uuid v7 ids rise with creation time: newest first
  return [...state.jobs.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

function renderJobs() {
  const jobs = sortedJobs();
  const tbody = $('#jobs tbody');
  for (const [id, tr] of rows) {
    if (!state.jobs.has(id)) {
      tr.remove();
      rows.delete(id);
    }
  }
  jobs.forEach((job, i) => {
    let tr = rows.get(job.id);
    if (!tr) {
      tr = h('tr', {
        class: 'job',
        dataset: { jobId: job.id },
        tabindex: 0,
        onclick: (e) => !e.target.closest('button, input, label') && select(job.id),
      });
      tr.addEventListener('keydown', (e) => e.target === tr && e.key === 'Enter' && select(job.id));
      rows.set(job.id, tr);
    }
    updateRow(tr, job);
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] ?? null);
  });
  const shown = jobs.length;
  $('#jobs-count').textContent = state.jobsTotal > shown ? `${shown} of ${state.jobsTotal}` : String(shown);
  $('#jobs-empty').hidden = shown > 0;
  $('#jobs-more').hidden = shown >= state.jobsTotal;
  renderBulk();
}

/**
 * Brings a job's row up to date. A change of progress alone moves the bar in place; anything else
 * rebuilds the cells (so that frequent progress events do not swap buttons under the pointer).
 */
function updateRow(tr, job) {
  tr.classList.toggle('selected', state.selected === job.id);
  tr.classList.toggle('picked', state.picked.has(job.id));
  const sig = JSON.stringify([
    job.queuePosition,
    job.providerStatus,
    job.estimatedStartAt,
    job.waitTimeSeconds,
    job.state,
    job.name,
    job.deploymentId,
    job.deviceId,
    job.createdAt,
    job.startedAt,
    job.finishedAt,
    job.type,
    job.shots,
    state.deployments.get(job.deploymentId)?.name,
    state.devices.get(job.deviceId)?.name,
  ]);
  const progress = Math.max(0, Math.min(100, Math.round(job.progress ?? 0)));
  if (tr.dataset.sig === sig) {
    const box = tr.querySelector('input.pick');
    if (box) box.checked = state.picked.has(job.id);
    const bar = tr.querySelector('.progress');
    if (bar && bar.getAttribute('aria-valuenow') !== String(progress)) {
      bar.setAttribute('aria-valuenow', String(progress));
      bar.firstElementChild.style.width = `${progress}%`;
      tr.querySelector('.pct').textContent = `${progress}%`;
    }
    return;
  }
  tr.dataset.sig = sig;
  tr.dataset.state = job.state;
  const terminal = TERMINAL.has(job.state);
  const deployment = job.deploymentId
    ? (state.deployments.get(job.deploymentId)?.name ?? `…${shortId(job.deploymentId)}`)
    : '(deleted deployment)';
  const device = state.devices.get(job.deviceId);
  const fill = h('div', { class: 'fill' });
  fill.style.width = `${progress}%`;
  const wait = waitMs(job);
  const queue = typeof job.queuePosition === 'number' ? `#${job.queuePosition}` : terminal ? '' : '—';
  replace(
    tr,
    h(
      'td',
      { class: 'pick' },
      h('input', {
        type: 'checkbox',
        class: 'pick',
        checked: state.picked.has(job.id),
        'aria-label': `Select job …${shortId(job.id)}`,
        onchange: (e) => pick(job.id, e.currentTarget.checked),
      }),
    ),
    h('td', { dataset: { label: 'State' } }, h('span', { class: `badge state ${job.state.toLowerCase()}` }, job.state)),
    h(
      'td',
      { class: 'job-cell' },
      h('strong', {}, job.name ?? deployment),
      h(
        'div',
        { class: 'sub' },
        h('span', { class: 'mono', title: job.id }, `…${shortId(job.id)}`),
        ` · ${job.name ? `${deployment} · ` : ''}${device?.name ?? `device …${shortId(job.deviceId)}`}`,
      ),
    ),
    h(
      'td',
      { class: 'progress-cell', dataset: { label: 'Progress' } },
      h(
        'div',
        {
          class: `progress ${job.state.toLowerCase()}`,
          role: 'progressbar',
          'aria-label': `Progress of job …${shortId(job.id)}`,
          'aria-valuenow': progress,
          'aria-valuemin': 0,
          'aria-valuemax': 100,
        },
        fill,
      ),
      h('span', { class: 'pct' }, `${progress}%`),
    ),
    h(
      'td',
      { dataset: { label: 'Run' } },
      job.type ?? '—',
      h('div', { class: 'sub' }, `${job.shots?.toLocaleString() ?? '?'} shots`),
    ),
    h(
      'td',
      {
        class: 'queue-cell',
        dataset: { label: 'Queue' },
        title: job.estimatedStartAt ? `expected to start ${new Date(job.estimatedStartAt).toLocaleString()}` : null,
      },
      h('span', { class: 'queue-position' }, queue),
      h(
        'div',
        { class: 'sub' },
        [`waited ${duration(wait)}`, job.providerStatus ? `provider: ${job.providerStatus}` : null]
          .filter(Boolean)
          .join(' · '),
      ),
    ),
    h(
      'td',
      { class: 'time-cell', dataset: { label: 'Created' } },
      when(job.createdAt),
      h('div', { class: 'sub' }, took(job)),
    ),
    h(
      'td',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'small ghost',
          disabled: terminal,
          title: 'Cancel',
          onclick: () => jobAction(job, 'cancel'),
        },
        'Cancel',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'small ghost',
          title: 'Run again as a new job',
          onclick: () => jobAction(job, 'rerun'),
        },
        'Rerun',
      ),
      h(
        'button',
        { type: 'button', class: 'small ghost danger', title: 'Delete', onclick: () => jobAction(job, 'delete') },
        'Delete',
      ),
    ),
  );
}

// ---------------------------------------------------------------- job detail

let detailState = null;
let detailToken = 0;
/** The job the detail shows (GET /api/jobs/:id), for the rerun form. */
let detailJob = null;

/** Opens a job's detail: a new history entry, so that back closes it and a link opens it. */
function select(id) {
  navigate({ job: id });
}

function openDetail(id) {
  const previous = state.selected;
  state.selected = id;
  for (const jid of [previous, id]) {
    const job = state.jobs.get(jid);
    const tr = rows.get(jid);
    if (job && tr) updateRow(tr, job);
  }
  $('#detail-panel').hidden = false;
  $('#detail-id').textContent = id;
  if (previous !== id) {
    detailJob = null;
    replace($('#detail-facts'));
    replace($('#detail-timeline'));
    replace($('#detail-programs'));
    delete $('#detail-programs').dataset.sig;
    replace($('#detail-error'));
    replace($('#detail-results'), h('p', { class: 'empty' }, 'Loading…'));
  }
  void loadDetail(id);
  void loadTimeline(id);
}

/** Closes the detail (from the URL: `job` gone). */
function hideDetail() {
  const previous = state.selected;
  state.selected = null;
  detailState = null;
  detailJob = null;
  $('#detail-panel').hidden = true;
  const tr = rows.get(previous);
  if (tr && state.jobs.has(previous)) updateRow(tr, state.jobs.get(previous));
}

/** The job is gone, or the user closed it: drop `job` from the URL. */
function closeDetail() {
  if (state.route.job) navigate({ job: '' }, { replace: true });
  else hideDetail();
}

let timelineTimer = null;
function timelineSoon() {
  timelineTimer ??= setTimeout(() => {
    timelineTimer = null;
    if (state.selected) void loadTimeline(state.selected);
  }, 250);
}

let timelineToken = 0;
async function loadTimeline(id) {
  const token = ++timelineToken;
  try {
    const events = await loadEvents(id);
    if (token !== timelineToken || state.selected !== id) return;
    renderTimeline($('#detail-timeline'), events);
  } catch (err) {
    if (token === timelineToken) replace($('#detail-timeline'), h('li', { class: 'error-text' }, describe(err)));
  }
}

function describe(err) {
  return err instanceof ApiError ? err.describe() : String(err?.message ?? err);
}

async function loadDetail(id) {
  const token = ++detailToken;
  let job;
  try {
    job = await get(`/jobs/${id}`);
  } catch (err) {
    if (token === detailToken) replace($('#detail-results'), h('p', { class: 'error-text' }, describe(err)));
    return;
  }
  if (token !== detailToken || state.selected !== id) return;
  detailState = job.state;
  detailJob = job;
  if (state.jobs.has(id)) {
    state.jobs.set(id, { ...state.jobs.get(id), ...job, results: undefined });
    renderJobs();
  }
  renderDetailFacts(job);
  replace($('#detail-error'), errorView(job));
  let deployment = state.deployments.get(job.deploymentId);
  replace($('#detail-results'), renderResults(job.results, deployment?.programs));
  addDownloads($('#detail-results'), job);
  // the programs' texts come with the deployment itself (the list has summaries only)
  if (job.deploymentId && (!deployment || deployment.programs.some((p) => !programTexts.has(p.id)))) {
    if (!deployment || !$('#detail-programs').children.length)
      replace($('#detail-programs'), programsView(job, null, translationLanguages));
    try {
      deployment = await get(`/deployments/${job.deploymentId}`);
      rememberTexts(deployment);
    } catch {
      deployment = undefined;
    }
    if (token !== detailToken) return;
  }
  const withTexts = deployment && {
    ...deployment,
    programs: deployment.programs.map((p) => ({ ...p, quantumCircuit: programTexts.get(p.id) ?? p.quantumCircuit })),
  };
  // a re-render would reset a translation the user is reading: only when the programs differ
  const programsSig = JSON.stringify([job.id, withTexts?.programs.map((p) => p.id) ?? null, translationLanguages]);
  if ($('#detail-programs').dataset.sig === programsSig) return;
  $('#detail-programs').dataset.sig = programsSig;
  if (job.deploymentId && !withTexts)
    replace($('#detail-programs'), h('p', { class: 'empty' }, 'The deployment cannot be read.'));
  else replace($('#detail-programs'), programsView(job, withTexts, translationLanguages));
}

/** The facts of the job in the detail, naming its device and deployment as far as they are loaded. */
function renderDetailFacts(job) {
  const device = state.devices.get(job.deviceId);
  const deployment = state.deployments.get(job.deploymentId);
  const facts = [
    ['State', h('span', { class: `badge state ${job.state.toLowerCase()}` }, job.state)],
    ['Progress', `${Math.round(job.progress)} %`],
    ['Type', job.type],
    ['Shots', job.shots.toLocaleString()],
    ['Seed', job.seed ?? '—'],
    ['Deployment', deployment?.name ?? job.deploymentId ?? '(deleted)'],
    ['Device', device ? `${device.providerName} / ${device.name}` : job.deviceId],
    ['Owner', job.executedBy ?? 'public'],
    ['Tags', job.tags?.length ? job.tags.join(', ') : '—'],
    ['Created', when(job.createdAt)],
    ['Started', when(job.startedAt)],
    ['Finished', when(job.finishedAt)],
    ['Waited', duration(waitMs(job))],
  ];
  if (typeof job.queuePosition === 'number') facts.push(['Queue position', `#${job.queuePosition}`]);
  if (job.estimatedStartAt) facts.push(['Expected start', when(job.estimatedStartAt)]);
  if (job.providerStatus) facts.push(['Provider status', job.providerStatus]);
  if (job.providerSpecificId) facts.push(['Provider id', h('span', { class: 'mono' }, job.providerSpecificId)]);
  if (job.observables)
    facts.push(['Observables', job.observables.map((o) => `${o.coefficient ?? 1}·${o.pauli}`).join(' + ')]);
  replace(
    $('#detail-facts'),
    facts.map(([k, v]) => h('div', { class: 'fact' }, h('dt', {}, k), h('dd', {}, v))),
  );
  fillRerunForm(job);
}

function fillRerunForm(job) {
  const form = $('#rerun-form');
  if (form.dataset.jobId !== job.id) {
    form.dataset.jobId = job.id;
    form.shots.value = String(job.shots);
    $('#rerun-error').hidden = true;
  }
  const options = [...state.devices.values()].map((d) => [d.id, `${d.providerName} / ${d.name}`]);
  if (!options.some(([id]) => id === job.deviceId)) options.unshift([job.deviceId, `device …${shortId(job.deviceId)}`]);
  const current = form.dataset.deviceFor === job.id ? form.deviceId.value : job.deviceId;
  replace(
    form.deviceId,
    options.map(([value, label]) => h('option', { value }, label)),
  );
  form.deviceId.value = current;
  form.dataset.deviceFor = job.id;
}

/**
 * Rerun: POST /jobs/:id/rerun, the same revision of the programs and the same settings, with the
 * shots and device of the form where they differ from the job's.
 */
async function rerunFromForm(ev) {
  ev.preventDefault();
  const job = detailJob;
  if (!job) return;
  const form = ev.currentTarget;
  const errorBox = $('#rerun-error');
  errorBox.hidden = true;
  const shots = Number(form.shots.value);
  const deviceId = form.deviceId.value;
  if (!Number.isInteger(shots) || shots < 1) return showError(errorBox, 'Shots must be a whole number of at least 1.');
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const body = {
      ...(shots !== job.shots ? { shots } : {}),
      ...(deviceId !== job.deviceId ? { deviceId } : {}),
    };
    const created = await post(`/jobs/${job.id}/rerun`, body);
    upsertJob(created);
    select(created.id);
  } catch (err) {
    showError(errorBox, describe(err));
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- routing

/** Changes the route: a new history entry (or the current one replaced), then shows it. */
function navigate(patch, { replace: replaceEntry = false } = {}) {
  const route = { ...state.route, ...patch };
  const url = `${location.pathname}${routeToSearch(route)}`;
  if (url !== `${location.pathname}${location.search}`)
    history[replaceEntry ? 'replaceState' : 'pushState'](null, '', url);
  applyRoute(route);
}

function applyRoute(route) {
  const before = state.route;
  state.route = route;
  showView(route.view);
  fillFilterForm();
  if (JSON.stringify(before.filters) !== JSON.stringify(route.filters)) resetJobs();
  if (route.job && route.job !== state.selected) openDetail(route.job);
  else if (!route.job && state.selected) hideDetail();
}

const VIEW_TITLES = { jobs: 'Jobs', overview: 'Overview', providers: 'Providers', webhooks: 'Webhooks' };

function showView(view) {
  for (const el of document.querySelectorAll('[data-view]')) el.hidden = el.dataset.view !== view;
  for (const a of document.querySelectorAll('[data-view-link]')) {
    if (a.dataset.viewLink === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${VIEW_TITLES[view]} · Qunest admin`;
  if (view === 'overview') overview.show();
  else overview.hide();
  if (view === 'providers') void providers.load();
  if (view === 'webhooks') void webhooks.load();
}

/** The job list starts over: the filters changed (or the token). */
function resetJobs() {
  state.jobs.clear();
  state.older = 0;
  state.picked.clear();
  bulkAll = null;
  firstJobsLoad = true;
  renderJobs();
  void loadJobs().catch(toast);
  live.follow();
}

function fillFilterForm() {
  const form = $('#jobs-filters');
  const f = state.route.filters;
  form.q.value = f.q;
  form.state.value = f.state;
  ensureOption(form.deviceId, f.deviceId);
  form.deviceId.value = f.deviceId;
  ensureOption(form.deploymentId, f.deploymentId);
  form.deploymentId.value = f.deploymentId;
  form.tag.value = f.tag.join(', ');
  form.owner.value = f.owner;
  form.createdAfter.value = f.createdAfter;
  form.createdBefore.value = f.createdBefore;
  $('#jobs-filters-clear').disabled = !hasFilters(f);
}

/** A filter's value from a link may name a row the page has not loaded: it still shows. */
function ensureOption(select, value) {
  if (value && ![...select.options].some((o) => o.value === value))
    select.append(h('option', { value }, `…${shortId(value)}`));
}

function filtersFromForm() {
  const form = $('#jobs-filters');
  return {
    ...emptyFilters(),
    q: form.q.value.trim(),
    state: form.state.value,
    deviceId: form.deviceId.value,
    deploymentId: form.deploymentId.value,
    owner: form.owner.value.trim(),
    tag: [...new Set(splitTags(form.tag.value))],
    createdAfter: form.createdAfter.value,
    createdBefore: form.createdBefore.value,
  };
}

function applyFilters() {
  const filters = filtersFromForm();
  if (JSON.stringify(filters) !== JSON.stringify(state.route.filters)) navigate({ filters });
}

// ---------------------------------------------------------------- bulk actions

/** Set when "all matching the filter" is chosen: {total} as the list said. */
let bulkAll = null;
let bulkRunning = false;

function pick(id, on) {
  if (on) state.picked.add(id);
  else state.picked.delete(id);
  bulkAll = null;
  rows.get(id)?.classList.toggle('picked', on);
  renderBulk();
}

function renderBulk() {
  const shown = [...state.jobs.keys()];
  const n = bulkAll ? bulkAll.total : state.picked.size;
  $('#bulk').hidden = n === 0;
  $('#bulk-count').textContent = bulkAll ? `All ${n} jobs matching the filter selected` : `${n} selected`;
  const all = $('#bulk-all');
  all.hidden = Boolean(bulkAll) || state.jobsTotal <= state.picked.size;
  all.textContent = `Select all ${state.jobsTotal} matching`;
  for (const b of [$('#bulk-cancel'), $('#bulk-delete')]) b.disabled = bulkRunning;
  const box = $('#jobs-select-page');
  const pickedShown = shown.filter((id) => state.picked.has(id)).length;
  box.checked = shown.length > 0 && pickedShown === shown.length;
  box.indeterminate = pickedShown > 0 && pickedShown < shown.length;
}

function pickPage(on) {
  for (const id of state.jobs.keys()) {
    if (on) state.picked.add(id);
    else state.picked.delete(id);
  }
  bulkAll = null;
  for (const [id, tr] of rows) {
    tr.classList.toggle('picked', state.picked.has(id));
    const box = tr.querySelector('input.pick');
    if (box) box.checked = state.picked.has(id);
  }
  renderBulk();
}

/** The ids of every job the filters match (pages of 100). */
async function allMatchingIds() {
  const ids = [];
  for (;;) {
    const page = await get(`/jobs?${jobsQuery(state.route.filters, { limit: 100, offset: ids.length })}`);
    ids.push(...page.items.map((j) => j.id));
    if (!page.items.length || ids.length >= page.total) return ids;
  }
}

async function bulk(action) {
  if (bulkRunning) return;
  let ids;
  try {
    ids = bulkAll ? await allMatchingIds() : [...state.picked];
  } catch (err) {
    return toast(err);
  }
  if (!ids.length) return;
  const verb = action === 'cancel' ? 'Cancel' : 'Delete';
  const noun = `${ids.length} job${ids.length === 1 ? '' : 's'}`;
  const what =
    action === 'cancel'
      ? `Cancel ${noun}? Jobs that have ended are left as they are.`
      : `Delete ${noun} and their results?`;
  if (!confirm(what)) return;
  bulkRunning = true;
  const panel = $('#bulk-progress');
  const bar = $('#bulk-bar');
  const status = $('#bulk-status');
  const outcomes = $('#bulk-outcomes');
  panel.hidden = false;
  panel.dataset.action = action;
  panel.dataset.done = 'false';
  bar.max = ids.length;
  bar.value = 0;
  outcomes.replaceChildren();
  status.textContent = `${verb}: 0 of ${ids.length}`;
  renderBulk();
  let done = 0;
  const tally = await runBulk(
    ids,
    async (id) => {
      if (action === 'cancel') upsertJob(await post(`/jobs/${id}/cancel`));
      else {
        await del(`/jobs/${id}`);
        if (state.jobs.delete(id)) state.jobsTotal = Math.max(0, state.jobsTotal - 1);
        if (state.selected === id) closeDetail();
      }
    },
    (id, o) => {
      done++;
      bar.value = done;
      status.textContent = `${verb}: ${done} of ${ids.length}`;
      outcomes.append(
        h(
          'li',
          { class: o.ok ? 'ok' : 'failed', dataset: { jobId: id, outcome: o.ok ? 'ok' : 'failed' } },
          h('span', { class: 'mono' }, `…${shortId(id)}`),
          ' ',
          o.ok ? (action === 'cancel' ? 'canceled' : 'deleted') : o.error,
        ),
      );
      state.picked.delete(id);
    },
  );
  bulkRunning = false;
  bulkAll = null;
  status.textContent = `${verb}: ${tally.ok} of ${ids.length} done${tally.failed ? `, ${tally.failed} failed` : ''}`;
  panel.dataset.done = 'true';
  renderJobs();
}

// ---------------------------------------------------------------- header, banner, errors

async function checkHealth() {
  const pill = $('#health');
  try {
    const res = await fetch('/api/health');
    const body = await res.json().catch(() => ({}));
    pill.textContent = res.ok ? 'API ok' : `API ${body.status ?? res.status}`;
    pill.className = `pill ${res.ok ? 'ok' : 'bad'}`;
    pill.title = JSON.stringify(body);
  } catch {
    pill.textContent = 'API down';
    pill.className = 'pill bad';
  }
}

function renderWho() {
  const token = getToken();
  const who = $('#who');
  if (!token) {
    who.textContent = state.mode === 'all' ? 'anonymous · admin' : 'anonymous';
    who.title = 'No token: open mode (admin) when the server has no key source, else anonymous';
    return;
  }
  const c = claimsOf(token);
  const roles = [
    ...(Array.isArray(c?.roles) ? c.roles : []),
    ...(Array.isArray(c?.realm_access?.roles) ? c.realm_access.roles : []),
  ];
  who.textContent = `${c?.sub ?? 'token'}${state.mode === 'all' ? ' · admin' : ''}`;
  who.title = `sub ${c?.sub ?? '?'}; roles: ${roles.join(', ') || 'none'}${c?.exp ? `; expires ${new Date(c.exp * 1000).toLocaleString()}` : ''}`;
}

/** The banner shows why loading fails (until it works again) and the last failed action (for a while). */
const banner = { load: null, action: null };

function setBanner(text) {
  banner.load = text;
  renderBanner();
}

function renderBanner() {
  const el = $('#banner');
  const text = [banner.action, banner.load].filter(Boolean).join(' · ');
  el.hidden = !text;
  el.textContent = text;
}

function showError(box, text) {
  box.textContent = text;
  box.hidden = false;
}

let toastTimer = null;
function toast(err) {
  banner.action = err instanceof ApiError ? err.describe() : String(err?.message ?? err);
  renderBanner();
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    banner.action = null;
    renderBanner();
  }, 8000);
}

function applyToken(token) {
  setToken(token);
  renderWho();
  state.seq.clear();
  closeDetail();
  resetJobs();
  overview.invalidate();
  providers.invalidate();
  webhooks.invalidate();
  showView(state.route.view);
  void refresh();
  void loadTranslationLanguages();
  void live.start(token);
}

// ---------------------------------------------------------------- start

let lastJobsRoute = { view: 'jobs', filters: emptyFilters(), job: '' };

function start() {
  const tokenInput = $('#token');
  tokenInput.value = getToken();
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    applyToken(tokenInput.value.trim());
  });
  $('#token-clear').addEventListener('click', () => {
    tokenInput.value = '';
    applyToken('');
  });
  const depForm = $('#deployment-form');
  depForm.program.value = BELL;
  depForm.addEventListener('submit', createDeployment);
  const jobForm = $('#job-form');
  jobForm.addEventListener('submit', submitJob);
  jobForm.type.addEventListener('change', () => {
    $('#observables-field').hidden = jobForm.type.value !== 'ESTIMATOR';
  });
  const filters = $('#jobs-filters');
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    applyFilters();
  });
  filters.addEventListener('change', applyFilters);
  $('#jobs-filters-clear').addEventListener('click', () => navigate({ filters: emptyFilters() }));
  $('#jobs-select-page').addEventListener('change', (e) => pickPage(e.currentTarget.checked));
  $('#jobs-select-shown').addEventListener('click', () => pickPage(true));
  $('#bulk-all').addEventListener('click', () => {
    bulkAll = { total: state.jobsTotal };
    pickPage(true);
    bulkAll = { total: state.jobsTotal };
    renderBulk();
  });
  $('#bulk-clear').addEventListener('click', () => pickPage(false));
  $('#bulk-cancel').addEventListener('click', () => void bulk('cancel'));
  $('#bulk-delete').addEventListener('click', () => void bulk('delete'));
  $('#bulk-dismiss').addEventListener('click', () => {
    $('#bulk-progress').hidden = true;
  });
  $('#rerun-form').addEventListener('submit', rerunFromForm);
  $('#detail-close').addEventListener('click', closeDetail);
  // the view links change the route in the page (a new history entry); the jobs view comes back
  // with the filters it had
  for (const a of document.querySelectorAll('[data-view-link]')) {
    a.addEventListener('click', (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      const view = a.dataset.viewLink;
      if (view === state.route.view) return;
      if (state.route.view === 'jobs') lastJobsRoute = state.route;
      navigate(view === 'jobs' ? { ...lastJobsRoute, view } : { view, filters: emptyFilters(), job: '' });
    });
  }
  window.addEventListener('popstate', () => applyRoute(parseRoute(location.search)));
  applyRoute(state.route);
  $('#jobs-more').addEventListener('click', () => void loadMoreJobs().catch(toast));
  $('#feed-clear').addEventListener('click', () => {
    $('#feed').replaceChildren();
    $('#feed-count').textContent = '';
  });
  renderWho();
  void checkHealth();
  setInterval(checkHealth, 15_000);
  window.addEventListener('resize', () => overview.resize());
  void refresh();
  void loadTranslationLanguages();
  void live.start(getToken());
}

start();
