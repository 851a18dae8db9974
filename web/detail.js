// The parts of a job's detail beyond its facts: the event history as a timeline (GET
// /api/jobs/:id/events), the error of an ERROR job with its stack, the programs with their text and
// a translation select (POST /api/translations), and JSON/CSV downloads of each distribution.
import { ApiError, get, post } from './api.js';
import { clock, h, replace, shortId } from './dom.js';
import { resultCsv } from './store.js';

const DISTRIBUTIONS = new Set(['COUNTS', 'PROBABILITIES', 'QUASI_DIST']);

/** All events of a job, oldest first (pages of 100). */
export async function loadEvents(jobId) {
  const items = [];
  for (;;) {
    const page = await get(`/jobs/${jobId}/events?limit=100&offset=${items.length}`);
    items.push(...page.items);
    if (!page.items.length || items.length >= page.total) return items;
  }
}

/** The timeline of a job's events. */
export function renderTimeline(list, events) {
  if (!events.length) {
    replace(list, h('li', { class: 'empty' }, 'No events.'));
    return;
  }
  replace(
    list,
    events.map((e) =>
      h(
        'li',
        { class: `tl ${e.name.replace('.', '-')}`, dataset: { seq: e.seq, name: e.name } },
        h('time', { datetime: e.at, title: new Date(e.at).toLocaleString() }, clock(e.at)),
        h('span', { class: 'seq', title: 'seq' }, `#${e.seq}`),
        h('strong', {}, label(e)),
        h('span', { class: 'what' }, detail(e)),
      ),
    ),
  );
}

function label(e) {
  switch (e.name) {
    case 'job.created':
      return 'created';
    case 'job.state':
      return e.payload.state;
    case 'job.progress':
      return 'progress';
    case 'job.result':
      return 'result';
    case 'job.error':
      return 'error';
    default:
      return e.name;
  }
}

function detail(e) {
  const p = e.payload ?? {};
  switch (e.name) {
    case 'job.created':
      return `${p.state ?? ''} · ${p.type ?? ''} × ${p.shots ?? '?'}`;
    case 'job.state':
      return `${Math.round(p.progress ?? 0)} %`;
    case 'job.progress':
      return [
        `${Math.round(p.progress ?? 0)} %`,
        p.providerStatus ? `provider: ${p.providerStatus}` : null,
        typeof p.queuePosition === 'number' ? `queue #${p.queuePosition}` : null,
      ]
        .filter(Boolean)
        .join(' · ');
    case 'job.result':
      return `${p.result?.resultType ?? ''}${p.result?.programId ? ` · program …${shortId(p.result.programId)}` : ''}`;
    case 'job.error':
      return p.message ?? '';
    default:
      return '';
  }
}

/** The error of an ERROR job: its message, and the stack when the API shows it (admins). */
export function errorView(job) {
  const errors = (job.results ?? []).filter((r) => r.resultType === 'ERROR');
  if (job.state !== 'ERROR' && !errors.length) return [];
  if (!errors.length)
    return [h('div', { class: 'job-error', role: 'alert' }, h('strong', {}, 'Error'), ' (no message stored)')];
  return errors.map((r) => {
    const message = r.data?.exceptionMessage ?? r.data?.exception_message ?? r.data?.message ?? JSON.stringify(r.data);
    const stack = r.meta?.stackTrace ?? r.data?.stackTrace ?? r.meta?.stack;
    return h(
      'div',
      { class: 'job-error', role: 'alert' },
      h('strong', {}, 'Error: '),
      h('span', { class: 'error-message' }, String(message)),
      stack
        ? h('details', { class: 'stack' }, h('summary', {}, 'Stack trace'), h('pre', { tabindex: '0' }, String(stack)))
        : h('div', { class: 'sub' }, 'No stack trace (shown to admins only, when there is one)'),
    );
  });
}

/**
 * The programs of a job's deployment, each with its text and a "Translate to" select.
 * `languages` is GET /api/translations/languages ({read, write}) or null.
 */
export function programsView(job, deployment, languages) {
  if (!job.deploymentId) return [h('p', { class: 'empty' }, 'The deployment was deleted.')];
  if (!deployment) return [h('p', { class: 'empty' }, 'Loading…')];
  const note =
    typeof deployment.revision === 'number' &&
    typeof job.deploymentRevision === 'number' &&
    deployment.revision !== job.deploymentRevision
      ? h(
          'p',
          { class: 'hint' },
          `The job ran revision ${job.deploymentRevision}; shown: revision ${deployment.revision} of “${deployment.name}”.`,
        )
      : null;
  return [
    note,
    ...deployment.programs.map((p, i) => {
      const out = h('div', { class: 'translation-out' });
      const readable = languages?.read.includes(p.assemblerLanguage);
      const id = `detail-translate-${p.id}`;
      return h(
        'div',
        { class: 'program', dataset: { programId: p.id } },
        h('div', { class: 'sub' }, `program ${i + 1} · ${p.assemblerLanguage}`),
        h('pre', { class: 'json', tabindex: '0' }, p.quantumCircuit ?? ''),
        h(
          'div',
          { class: 'row' },
          h('label', { for: id, class: 'translate-label' }, 'Translate to'),
          h(
            'select',
            {
              id,
              class: 'small',
              dataset: { detailTranslateOf: p.id },
              disabled: !readable || !languages?.write.length,
              onchange: (ev) => void translate(p, ev.currentTarget.value, out),
            },
            h('option', { value: '' }, readable ? '—' : `— (cannot read ${p.assemblerLanguage})`),
            (languages?.write ?? []).map((l) => h('option', { value: l }, l)),
          ),
        ),
        out,
      );
    }),
  ];
}

async function translate(p, to, out) {
  if (!to) return replace(out);
  replace(out, h('span', { role: 'status' }, 'translating…'));
  try {
    const t = await post('/translations', { quantumCircuit: p.quantumCircuit, from: p.assemblerLanguage, to });
    replace(
      out,
      h(
        'div',
        { class: 'translation' },
        h('div', { class: 'translation-meta' }, `${t.language} · ${t.warnings.length} warnings`),
        t.warnings.length
          ? h(
              'ul',
              { class: 'warnings' },
              t.warnings.map((w) => h('li', {}, w)),
            )
          : null,
        h('pre', { class: 'json', tabindex: '0' }, t.quantumCircuit),
      ),
    );
  } catch (err) {
    replace(out, h('div', { class: 'error', role: 'alert' }, err instanceof ApiError ? err.describe() : String(err)));
  }
}

/** "JSON" and "CSV" downloads of each distribution result, made in the page from the answer. */
export function addDownloads(container, job) {
  for (const r of job.results ?? []) {
    if (!DISTRIBUTIONS.has(r.resultType)) continue;
    const section = [...container.querySelectorAll('.result')].find(
      (el) => el.dataset.resultType === r.resultType && !el.querySelector('.downloads'),
    );
    if (!section) continue;
    section.dataset.resultId = r.id;
    const base = `job-${shortId(job.id)}-${r.resultType.toLowerCase()}`;
    section.querySelector('h3')?.after(
      h(
        'div',
        { class: 'downloads' },
        'Download ',
        blobLink(`${base}.json`, 'application/json', () => JSON.stringify(r, null, 2), 'JSON', 'download-json'),
        ' · ',
        blobLink(`${base}.csv`, 'text/csv', () => resultCsv(r.data), 'CSV', 'download-csv-shown'),
        r.meta?.truncated
          ? h('span', { class: 'sub' }, ' (the shown entries; “download all” below has every one)')
          : null,
      ),
    );
  }
}

function blobLink(filename, type, make, text, cls) {
  return h(
    'a',
    {
      href: '#',
      class: `download ${cls}`,
      download: filename,
      onclick: (ev) => {
        ev.preventDefault();
        const url = URL.createObjectURL(new Blob([make()], { type }));
        const a = h('a', { href: url, download: filename });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      },
    },
    text,
  );
}
