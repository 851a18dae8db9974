// Webhooks: the list, a form to create one (its secret is shown once, as the API answers it only
// then), delete, and the delivery log of one webhook (GET /api/webhooks/:id/deliveries).
import { ApiError, del, get, post } from './api.js';
import { EVENT_NAMES } from './contract.js';
import { h, replace, shortId, when } from './dom.js';

export class Webhooks {
  /** @param {{toast: (err: unknown) => void}} o */
  constructor(o) {
    this.o = o;
    this.items = null;
    this.error = null;
    this.open = null;
    this.started = false;
  }

  invalidate() {
    this.items = null;
    this.open = null;
    document.getElementById('webhook-secret').hidden = true;
    document.getElementById('deliveries-panel').hidden = true;
  }

  start() {
    if (this.started) return;
    this.started = true;
    const boxes = document.getElementById('webhook-events');
    replace(
      boxes,
      ['*', ...EVENT_NAMES].map((name) =>
        h(
          'label',
          { class: 'check' },
          h('input', { type: 'checkbox', name: 'events', value: name, checked: name === '*' }),
          name === '*' ? 'all events (*)' : name,
        ),
      ),
    );
    document.getElementById('webhook-form').addEventListener('submit', (e) => void this.create(e));
  }

  async load() {
    this.start();
    try {
      const page = await get('/webhooks?limit=100');
      this.items = page.items;
      this.total = page.total;
      this.error = null;
    } catch (err) {
      this.error = describe(err);
    }
    this.render();
    if (this.open) void this.deliveries(this.open);
  }

  render() {
    const tbody = document.querySelector('#webhooks tbody');
    document.getElementById('webhooks-count').textContent = this.items
      ? this.total > this.items.length
        ? `${this.items.length} of ${this.total}`
        : String(this.items.length)
      : '';
    document.getElementById('webhooks-empty').hidden = !this.items || this.items.length > 0;
    if (this.error) return replace(tbody, h('tr', {}, h('td', { colspan: 4, class: 'error-text' }, this.error)));
    replace(
      tbody,
      (this.items ?? []).map((w) =>
        h(
          'tr',
          { dataset: { webhookId: w.id } },
          h(
            'td',
            { class: 'url', dataset: { label: 'URL' } },
            h('span', { class: 'mono' }, w.url),
            h('div', { class: 'sub' }, `…${shortId(w.id)}${w.allRows ? ' · all rows' : ''}`),
          ),
          h('td', { dataset: { label: 'Events' } }, w.events.join(', ')),
          h('td', { dataset: { label: 'Created' } }, when(w.createdAt)),
          h(
            'td',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'small ghost',
                'aria-expanded': String(this.open === w.id),
                onclick: () => void this.toggleDeliveries(w.id),
              },
              'Deliveries',
            ),
            h('button', { type: 'button', class: 'small ghost danger', onclick: () => void this.remove(w) }, 'Delete'),
          ),
        ),
      ),
    );
  }

  async create(e) {
    e.preventDefault();
    const form = e.currentTarget;
    const errorBox = document.getElementById('webhook-error');
    const secretBox = document.getElementById('webhook-secret');
    errorBox.hidden = true;
    secretBox.hidden = true;
    const url = form.url.value.trim();
    let events = [...form.querySelectorAll('input[name=events]:checked')].map((i) => i.value);
    if (events.includes('*')) events = ['*'];
    if (!url || !events.length) {
      errorBox.textContent = 'Give a URL and at least one event.';
      errorBox.hidden = false;
      return;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const created = await post('/webhooks', { url, events });
      replace(
        secretBox,
        h('strong', {}, 'Secret (shown once; keep it to check the Qunest-Signature header): '),
        h('code', { class: 'secret-value', tabindex: '0' }, created.secret),
      );
      secretBox.hidden = false;
      form.url.value = '';
      await this.load();
    } catch (err) {
      errorBox.textContent = describe(err);
      errorBox.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  async remove(w) {
    if (!confirm(`Delete the webhook to ${w.url}?`)) return;
    try {
      await del(`/webhooks/${w.id}`);
      if (this.open === w.id) {
        this.open = null;
        document.getElementById('deliveries-panel').hidden = true;
      }
      await this.load();
    } catch (err) {
      this.o.toast(err);
    }
  }

  async toggleDeliveries(id) {
    if (this.open === id) {
      this.open = null;
      document.getElementById('deliveries-panel').hidden = true;
      this.render();
      return;
    }
    this.open = id;
    this.render();
    await this.deliveries(id);
  }

  async deliveries(id) {
    const panel = document.getElementById('deliveries-panel');
    const tbody = document.querySelector('#deliveries tbody');
    const w = this.items?.find((x) => x.id === id);
    document.getElementById('deliveries-of').textContent = w?.url ?? id;
    panel.hidden = false;
    try {
      const page = await get(`/webhooks/${id}/deliveries?limit=100`);
      if (this.open !== id) return;
      document.getElementById('deliveries-count').textContent =
        page.total > page.items.length ? `${page.items.length} of ${page.total}` : String(page.total);
      document.getElementById('deliveries-empty').hidden = page.items.length > 0;
      replace(
        tbody,
        page.items.map((a) =>
          h(
            'tr',
            { dataset: { deliveryId: a.deliveryId, state: a.deliveryState } },
            h('td', { dataset: { label: 'At' } }, when(a.at)),
            h('td', { dataset: { label: 'Event' } }, a.event, h('div', { class: 'sub' }, `event ${a.eventId}`)),
            h('td', { class: 'num', dataset: { label: 'Attempt' } }, a.attempt),
            h(
              'td',
              { dataset: { label: 'Answer' } },
              a.status !== null ? `HTTP ${a.status}` : (a.error ?? '—'),
              h('div', { class: 'sub' }, `${a.durationMs} ms`),
            ),
            h(
              'td',
              { dataset: { label: 'State' } },
              h('span', { class: `badge delivery ${a.deliveryState}` }, a.deliveryState),
            ),
          ),
        ),
      );
    } catch (err) {
      replace(tbody, h('tr', {}, h('td', { colspan: 5, class: 'error-text' }, describe(err))));
    }
  }
}

function describe(err) {
  return err instanceof ApiError ? err.describe() : String(err?.message ?? err);
}
