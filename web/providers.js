// Providers and their devices: sync a provider's devices (admins; with a token of one's own or the
// server's credentials), a device's live status and calibration as its provider tells them, and
// online/offline.
import { ApiError, get, patch, post } from './api.js';
import { h, replace, when } from './dom.js';

export class Providers {
  /**
   * @param {object} o
   * @param {(err: unknown) => void} o.toast
   * @param {(device: object) => void} o.onDevice  a device changed (status)
   * @param {() => void} o.reloadDevices  a sync changed the devices
   */
  constructor(o) {
    this.o = o;
    this.providers = null;
    this.error = null;
    /** providerId -> {pending, outcome, error} of its last sync */
    this.syncs = new Map();
    /** deviceId -> {kind: 'status'|'calibration', pending, data, error} */
    this.lookups = new Map();
    this.loading = null;
  }

  invalidate() {
    this.providers = null;
    this.syncs.clear();
    this.lookups.clear();
  }

  load() {
    this.loading ??= (async () => {
      try {
        const page = await get('/providers?limit=100');
        this.providers = page.items;
        this.error = null;
      } catch (err) {
        this.error = describe(err);
      } finally {
        this.loading = null;
      }
      this.render();
    })();
    return this.loading;
  }

  onDeviceStatus(p) {
    for (const provider of this.providers ?? []) {
      const d = provider.devices.find((x) => x.id === p.deviceId);
      if (d) {
        d.status = p.status;
        this.render();
      }
    }
  }

  render() {
    const root = document.getElementById('providers');
    document.getElementById('providers-count').textContent = this.providers ? String(this.providers.length) : '';
    if (this.error) return replace(root, h('p', { class: 'error-text' }, this.error));
    if (!this.providers) return replace(root, h('p', { class: 'empty' }, 'Loading…'));
    const focused = document.activeElement?.id;
    replace(
      root,
      this.providers.map((p) => this.providerView(p)),
    );
    if (focused) document.getElementById(focused)?.focus();
  }

  providerView(p) {
    const sync = this.syncs.get(p.id);
    const tokenId = `sync-token-${p.id}`;
    return h(
      'section',
      { class: 'provider', dataset: { providerId: p.id, provider: p.name } },
      h(
        'div',
        { class: 'provider-head' },
        h('h3', {}, p.name),
        h(
          'span',
          { class: 'sub' },
          `${p.devices.length} device${p.devices.length === 1 ? '' : 's'} · ${p.supportedLanguages.join(', ')}${p.withToken ? ' · takes a token' : ''}`,
        ),
        h(
          'form',
          {
            class: 'sync',
            onsubmit: (e) => {
              e.preventDefault();
              void this.sync(p, e.currentTarget.token.value.trim());
            },
          },
          p.withToken
            ? [
                h('label', { for: tokenId, class: 'sr-only' }, `Token for ${p.name} (optional)`),
                h('input', {
                  id: tokenId,
                  name: 'token',
                  type: 'password',
                  placeholder: 'token (optional)',
                  autocomplete: 'off',
                  spellcheck: 'false',
                }),
              ]
            : h('input', { name: 'token', type: 'hidden', value: '' }),
          h(
            'button',
            {
              type: 'submit',
              class: 'small',
              id: `sync-${p.id}`,
              disabled: sync?.pending,
              title: "Ask the provider for its devices (admins); without a token, the server's credentials",
            },
            sync?.pending ? 'Syncing…' : 'Sync devices',
          ),
        ),
      ),
      sync?.outcome
        ? h(
            'p',
            { class: 'sync-outcome', role: 'status' },
            `Synced: ${sync.outcome.added} added, ${sync.outcome.updated} updated, ${sync.outcome.offline} set offline, ${sync.outcome.skipped} skipped`,
          )
        : null,
      sync?.error ? h('p', { class: 'error sync-error', role: 'alert' }, sync.error) : null,
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'table cards devices' },
          h('caption', { class: 'sr-only' }, `Devices of ${p.name}`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Device'),
              h('th', { scope: 'col', class: 'num' }, 'Qubits'),
              h('th', { scope: 'col' }, 'Status'),
              h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
            ),
          ),
          h(
            'tbody',
            {},
            p.devices.flatMap((d) => this.deviceRows(p, d)),
          ),
        ),
      ),
    );
  }

  deviceRows(p, d) {
    const online = d.status === 'online';
    const look = this.lookups.get(d.id);
    const rows = [
      h(
        'tr',
        { dataset: { deviceId: d.id, status: d.status } },
        h(
          'td',
          { dataset: { label: 'Device' } },
          h('strong', {}, d.name),
          h(
            'div',
            { class: 'sub' },
            [d.isSimulator ? 'simulator' : 'hardware', d.isLocal ? 'local' : 'remote', d.providerDeviceId]
              .filter(Boolean)
              .join(' · '),
          ),
        ),
        h('td', { class: 'num', dataset: { label: 'Qubits' } }, d.numQubits),
        h(
          'td',
          { dataset: { label: 'Status' } },
          h('span', { class: `badge ${online ? 'online' : 'offline'}` }, d.status),
        ),
        h(
          'td',
          { class: 'actions' },
          h(
            'button',
            { type: 'button', class: 'small ghost', onclick: () => void this.lookup(d, 'status') },
            'Live status',
          ),
          h(
            'button',
            { type: 'button', class: 'small ghost', onclick: () => void this.lookup(d, 'calibration') },
            'Calibration',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'small ghost',
              title: 'Admins only',
              onclick: () => void this.setStatus(d, online ? 'offline' : 'online'),
            },
            online ? 'Set offline' : 'Set online',
          ),
        ),
      ),
    ];
    if (look) {
      rows.push(
        h(
          'tr',
          { class: 'lookup', dataset: { lookupOf: d.id, kind: look.kind } },
          h('td', { colspan: 4 }, this.lookupView(look)),
        ),
      );
    }
    return rows;
  }

  lookupView(look) {
    if (look.pending) return h('span', { role: 'status' }, `asking for the ${look.kind}…`);
    if (look.error) return h('div', { class: 'error', role: 'alert' }, look.error);
    const d = look.data;
    if (look.kind === 'status') {
      return h(
        'dl',
        { class: 'facts device-status' },
        fact('Online', d.online === null || d.online === undefined ? 'unknown' : d.online ? 'yes' : 'no'),
        fact('Queue length', d.queueLength ?? '—'),
        fact('Message', d.message ?? '—'),
        fact('Source', d.source),
        fact('Checked', when(d.checkedAt)),
      );
    }
    return h(
      'div',
      { class: 'calibration' },
      h('div', { class: 'sub' }, `source ${d.source} · fetched `, when(d.fetchedAt)),
      d.message ? h('p', { class: 'hint' }, d.message) : null,
      d.calibration
        ? h('pre', { class: 'json', tabindex: '0' }, JSON.stringify(d.calibration, null, 2))
        : h('p', { class: 'empty' }, 'No calibration data.'),
    );
  }

  async lookup(d, kind) {
    const current = this.lookups.get(d.id);
    if (current?.kind === kind && !current.pending) {
      this.lookups.delete(d.id);
      return this.render();
    }
    const mine = { kind, pending: true, data: null, error: null };
    this.lookups.set(d.id, mine);
    this.render();
    try {
      mine.data = await get(`/devices/${d.id}/${kind}`);
    } catch (err) {
      mine.error = describe(err);
    } finally {
      mine.pending = false;
    }
    if (this.lookups.get(d.id) === mine) this.render();
  }

  async sync(p, token) {
    const mine = { pending: true, outcome: null, error: null };
    this.syncs.set(p.id, mine);
    this.render();
    try {
      mine.outcome = await post(`/providers/${p.id}/sync`, token ? { token } : {});
      const i = this.providers.findIndex((x) => x.id === p.id);
      if (i >= 0 && mine.outcome.provider) this.providers[i] = mine.outcome.provider;
      this.o.reloadDevices();
    } catch (err) {
      mine.error = describe(err);
    } finally {
      mine.pending = false;
    }
    this.render();
  }

  async setStatus(d, status) {
    try {
      const updated = await patch(`/devices/${d.id}`, { status });
      d.status = updated.status;
      this.o.onDevice(updated);
      this.render();
    } catch (err) {
      this.o.toast(err);
    }
  }
}

function fact(k, v) {
  return h('div', { class: 'fact' }, h('dt', {}, k), h('dd', {}, v));
}

function describe(err) {
  return err instanceof ApiError ? err.describe() : String(err?.message ?? err);
}
