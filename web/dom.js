// Tiny DOM helpers. Text always goes in as text nodes (never innerHTML): names, programs and
// messages come from users.

/** h('td', {class: 'x', onclick: fn, dataset: {id}}, 'text', childNode, ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'title' || k === 'type' || k === 'disabled' || k === 'value') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export function shortId(id) {
  return id ? id.slice(-8) : '—';
}

const timeFmt = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const dateFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** 14:03:07 today, "Nov 24 14:03" otherwise; full ISO in the title. */
export function when(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return h(
    'time',
    { datetime: iso, title: d.toLocaleString() },
    today ? timeFmt.format(d) : `${dateFmt.format(d)} ${timeFmt.format(d)}`,
  );
}

export function clock(iso) {
  return timeFmt.format(iso ? new Date(iso) : new Date());
}
