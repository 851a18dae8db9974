// Renders the results of a job: a bar chart for distributions (COUNTS, PROBABILITIES, QUASI_DIST),
// a table for expectation values, the message of an error, and the JSON of each. A large
// distribution arrives as its most probable entries (meta.truncated): the chart says "N of M
// outcomes" and links the download of all of them (meta.dataUrl, ?format=csv or ndjson).
import { getToken } from './api.js';
import { h } from './dom.js';

const MAX_BARS = 32;
const DISTRIBUTIONS = new Set(['COUNTS', 'PROBABILITIES', 'QUASI_DIST']);
const TYPE_ORDER = ['ERROR', 'COUNTS', 'PROBABILITIES', 'QUASI_DIST', 'VALUE_AND_VARIANCE', 'UPLOAD_SUCCESSFUL'];

export function renderResults(results, programs) {
  if (!results?.length) return [h('p', { class: 'empty' }, 'No results yet.')];
  const programIndex = new Map((programs ?? []).map((p, i) => [p.id, i]));
  const order = (r) => [programIndex.get(r.programId) ?? -1, TYPE_ORDER.indexOf(r.resultType)];
  const sorted = [...results].sort((a, b) => {
    const [pa, ta] = order(a);
    const [pb, tb] = order(b);
    return pa - pb || ta - tb;
  });
  // the expectation values of one program (one result per observable) share one table
  const groups = [];
  for (const r of sorted) {
    const last = groups.at(-1);
    if (
      r.resultType === 'VALUE_AND_VARIANCE' &&
      last?.[0].resultType === r.resultType &&
      last[0].programId === r.programId
    ) {
      last.push(r);
    } else groups.push([r]);
  }
  return groups.map((group) => {
    const r = group[0];
    const index = programIndex.get(r.programId);
    if (r.resultType === 'VALUE_AND_VARIANCE') {
      const title = ['VALUE_AND_VARIANCE', index !== undefined ? `program ${index + 1}` : null]
        .filter(Boolean)
        .join(' · ');
      return h(
        'section',
        { class: 'result result-value_and_variance', dataset: { resultType: r.resultType } },
        h('h3', {}, title, metaLine({ meta: { shots: r.meta?.shots } })),
        valueTable(group),
        h('details', {}, h('summary', {}, 'JSON'), h('pre', { class: 'json' }, JSON.stringify(group, null, 2))),
      );
    }
    const title = [r.resultType, index !== undefined ? `program ${index + 1}` : null].filter(Boolean).join(' · ');
    return h(
      'section',
      { class: `result result-${r.resultType.toLowerCase()}`, dataset: { resultType: r.resultType } },
      h('h3', {}, title, metaLine(r)),
      body(r),
      h('details', {}, h('summary', {}, 'JSON'), h('pre', { class: 'json' }, JSON.stringify(r, null, 2))),
    );
  });
}

function metaLine(r) {
  const m = r.meta ?? {};
  const bits = [];
  if (m.shots !== undefined) bits.push(`${m.shots} shots`);
  if (m.seed !== undefined) bits.push(`seed ${m.seed}`);
  if (m.timeTakenMs !== undefined) bits.push(`${Number(m.timeTakenMs).toFixed(1)} ms`);
  if (m.mode) bits.push(m.mode);
  return bits.length ? h('small', {}, bits.join(' · ')) : null;
}

function body(r) {
  if (r.resultType === 'ERROR') {
    return h(
      'p',
      { class: 'error-text' },
      String(r.data?.exceptionMessage ?? r.data?.exception_message ?? r.data?.message ?? JSON.stringify(r.data)),
    );
  }
  if (DISTRIBUTIONS.has(r.resultType) && isNumberMap(r.data)) return histogram(r);
  return null;
}

function isNumberMap(data) {
  return data && typeof data === 'object' && Object.values(data).every((v) => typeof v === 'number');
}

/** Hex words ("0x3 0x0") as bit strings, one per register, when the meta names register sizes. */
function bitsLabel(key, meta) {
  const regs = meta?.registers;
  if (!Array.isArray(regs) || !regs.length) return key;
  if (meta.numClbits !== undefined) {
    const n = Number(meta.numClbits);
    const v = parseHexBig(key);
    return v === null ? key : v.toString(2).padStart(n, '0');
  }
  const words = key.split(' ');
  if (words.length !== regs.length) return key;
  const out = words.map((w, i) => {
    const v = parseHexBig(w);
    return v === null ? null : v.toString(2).padStart(regs[i].size, '0');
  });
  return out.includes(null) ? key : out.join(' ');
}

function parseHexBig(word) {
  return /^0x[0-9a-f]+$/i.test(word) ? BigInt(word) : null;
}

function histogram(r) {
  const entries = Object.entries(r.data);
  if (!entries.length) return h('p', { class: 'empty' }, 'No outcomes (the program measures nothing).');
  const total = entries.reduce((s, [, v]) => s + v, 0);
  let shown = entries;
  if (entries.length > MAX_BARS) shown = [...entries].sort((a, b) => b[1] - a[1]).slice(0, MAX_BARS);
  shown.sort((a, b) => compareKeys(a[0], b[0]));
  const max = Math.max(...shown.map(([, v]) => Math.abs(v)), Number.MIN_VALUE);
  const isCount = r.resultType === 'COUNTS';
  const bars = shown.map(([key, v]) => {
    const label = bitsLabel(key, r.meta);
    const share = total ? v / total : 0;
    const fill = h('div', { class: `fill${v < 0 ? ' negative' : ''}` });
    fill.style.height = `${Math.max(1, (Math.abs(v) / max) * 100)}%`;
    return h(
      'div',
      {
        class: 'bar',
        title: `${label}${label !== key ? ` (${key})` : ''}: ${isCount ? v : v.toFixed(4)}${isCount ? ` (${(share * 100).toFixed(1)} %)` : ''}`,
        dataset: { key },
      },
      h('span', { class: 'value' }, isCount ? String(v) : v.toFixed(3)),
      h('div', { class: 'track' }, fill),
      h('span', { class: 'label' }, label),
    );
  });
  return h(
    'div',
    { class: 'histogram-wrap' },
    h(
      'div',
      {
        class: `histogram${shown.some(([key]) => bitsLabel(key, r.meta).length > 5) ? ' vertical' : ''}`,
        role: 'img',
        'aria-label': `${r.resultType} histogram`,
      },
      bars,
    ),
    outcomesHint(r, shown.length, entries.length),
  );
}

/** "N most frequent of M outcomes", and for a truncated result where the rest is and what was not stored. */
function outcomesHint(r, shown, inline) {
  const m = r.meta ?? {};
  if (!m.truncated) {
    return inline > shown ? h('p', { class: 'hint' }, `${shown} most frequent of ${inline} outcomes`) : null;
  }
  const total = Number(m.entries);
  const stored = Number(m.storedEntries ?? total);
  const parts = [`${shown.toLocaleString()} most frequent of ${total.toLocaleString()} outcomes`];
  if (inline > shown) parts.push(`${inline.toLocaleString()} in this answer`);
  if (stored < total) {
    parts.push(
      `only the ${stored.toLocaleString()} most frequent are stored (${Number(m.droppedEntries).toLocaleString()} dropped, weight ${fmtWeight(m.droppedWeight, r.resultType)})`,
    );
  }
  return h(
    'p',
    { class: 'hint truncated', dataset: { entries: String(total) } },
    `${parts.join(' · ')} · `,
    m.dataUrl ? downloadLink(m.dataUrl, 'csv', r) : null,
    m.dataUrl ? ' · ' : null,
    m.dataUrl ? downloadLink(m.dataUrl, 'ndjson', r) : null,
  );
}

function fmtWeight(v, type) {
  if (typeof v !== 'number') return '—';
  return type === 'COUNTS' ? v.toLocaleString() : v.toPrecision(4);
}

/**
 * A link that downloads every stored entry. With a bearer token (which a plain link cannot send) the
 * file is fetched with it and handed to the browser as a blob.
 */
function downloadLink(dataUrl, format, r) {
  const href = `${dataUrl}?format=${format}`;
  const filename = `${r.resultType.toLowerCase()}-${r.id}.${format}`;
  return h(
    'a',
    {
      href,
      download: filename,
      class: `download download-${format}`,
      onclick: async (event) => {
        const token = getToken();
        if (!token) return; // open mode: the browser downloads the link itself, streamed
        event.preventDefault();
        const res = await fetch(href, { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok) return;
        const url = URL.createObjectURL(await res.blob());
        const a = h('a', { href: url, download: filename });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      },
    },
    `download all (${format.toUpperCase()})`,
  );
}

function compareKeys(a, b) {
  const x = a.split(' ').map(parseHexBig);
  const y = b.split(' ').map(parseHexBig);
  if (x.includes(null) || y.includes(null) || x.length !== y.length) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

/** One row per observable: coefficient·Pauli, value, variance and the standard error of the mean over the shots. */
function valueTable(results) {
  return h(
    'table',
    { class: 'table compact values' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'observable'),
        h('th', { class: 'num' }, 'value'),
        h('th', { class: 'num' }, 'variance'),
        h('th', { class: 'num' }, 'std. error'),
      ),
    ),
    h(
      'tbody',
      {},
      results.map((r) => {
        const { value, variance } = r.data ?? {};
        const shots = Number(r.meta?.shots);
        const stderr = typeof variance === 'number' && shots > 0 ? Math.sqrt(variance / shots) : undefined;
        const observable = r.meta?.observable ? `${r.meta.coefficient ?? 1}·${r.meta.observable}` : '—';
        return h(
          'tr',
          {},
          h('td', { class: 'mono' }, observable),
          h('td', { class: 'num' }, fmt(value)),
          h('td', { class: 'num' }, fmt(variance)),
          h('td', { class: 'num' }, fmt(stderr)),
        );
      }),
    ),
  );
}

function fmt(v) {
  return typeof v === 'number' ? v.toPrecision(6) : v === undefined ? '—' : JSON.stringify(v);
}
