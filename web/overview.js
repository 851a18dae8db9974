// The overview: jobs per state (each a link to the filtered list), per device its queue and status,
// and two charts of the last hour (uPlot): jobs finished and failed per minute, and wait and run time
// percentiles. It loads once over REST (and again when the socket reconnects), then follows the
// socket's events through the store's OverviewModel; a minute timer only slides the window.
import { get } from './api.js';
import { h, replace } from './dom.js';
import { JOB_STATES, OverviewModel, duration, percentile } from './store.js';
import uPlot from './vendor/uplot/uPlot.esm.js';

const ACTIVE_PAGES = 10;
const ENDED_PAGES = 20;

export class Overview {
  /**
   * @param {object} o
   * @param {() => Map<string, any>} o.devices  the devices the page knows
   * @param {(state: string) => void} o.openState  shows the job list filtered by a state
   * @param {(deviceId: string) => void} o.openDevice  shows the job list filtered by a device
   */
  constructor(o) {
    this.o = o;
    this.model = new OverviewModel(60);
    this.visible = false;
    this.loaded = false;
    this.loading = null;
    this.activeComplete = true;
    this.frame = 0;
    this.charts = null;
    this.tick = null;
    this.generation = 0;
    // the charts take their colours from the theme: redrawn when the system switches it
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.renderSoon());
  }

  show() {
    this.visible = true;
    if (!this.loaded) this.reload();
    else this.renderSoon();
    clearInterval(this.tick);
    this.tick = setInterval(() => this.renderSoon(), 30_000);
  }

  hide() {
    this.visible = false;
    clearInterval(this.tick);
    this.tick = null;
  }

  /** The token changed: everything is loaded again. */
  invalidate() {
    this.loaded = false;
    this.model = new OverviewModel(60);
    this.generation++;
  }

  /** Loads counts, the jobs that have not ended and the last hour's ended jobs (when shown). */
  reload() {
    if (!this.visible) {
      this.loaded = false;
      return;
    }
    if (this.loading) return;
    const generation = this.generation;
    this.loading = this.load()
      .then((model) => {
        if (generation !== this.generation) return;
        this.model = model;
        this.loaded = true;
        this.error = null;
      })
      .catch((err) => {
        this.error = err?.describe?.() ?? String(err?.message ?? err);
      })
      .finally(() => {
        this.loading = null;
        this.renderSoon();
      });
  }

  async load() {
    const model = new OverviewModel(60);
    const totals = await Promise.all(JOB_STATES.map((s) => get(`/jobs?state=${s}&limit=1`).then((p) => p.total)));
    model.setCounts(Object.fromEntries(JOB_STATES.map((s, i) => [s, totals[i]])));
    let complete = true;
    await Promise.all(
      ['READY', 'BLOCKED', 'RUNNING'].map(async (s) => {
        for (let page = 0; page < ACTIVE_PAGES; page++) {
          const p = await get(`/jobs?state=${s}&limit=100&offset=${page * 100}`);
          for (const j of p.items) model.addActive(j);
          if (p.items.length < 100 || (page + 1) * 100 >= p.total) return;
        }
        complete = false;
      }),
    );
    this.activeComplete = complete;
    const since = Date.now() - 60 * 60_000;
    await Promise.all(
      ['FINISHED', 'ERROR'].map(async (s) => {
        for (let page = 0; page < ENDED_PAGES; page++) {
          const p = await get(`/jobs?state=${s}&sort=finishedAt&order=desc&limit=100&offset=${page * 100}`);
          for (const j of p.items) if (Date.parse(j.finishedAt) >= since) model.addEnded(j);
          const last = p.items.at(-1);
          if (!last || Date.parse(last.finishedAt) < since || p.items.length < 100) return;
        }
      }),
    );
    return model;
  }

  onEvent(name, p) {
    if (!this.loaded) return;
    if (name === 'device.status') {
      this.renderSoon();
      return;
    }
    if (!this.model.apply(name, p)) return;
    if (this.model.stale && this.visible) {
      this.model.stale = false;
      this.reloadSoon();
    }
    this.renderSoon();
  }

  reloadSoon() {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.reload(), 1000);
  }

  resize() {
    if (this.visible && this.charts) this.renderSoon();
  }

  renderSoon() {
    if (!this.visible) return;
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    if (!this.visible) return;
    const m = this.model;
    const panel = document.getElementById('overview-states-panel');
    panel.dataset.loaded = String(this.loaded);
    document.getElementById('overview-total').textContent = this.loaded
      ? `${m.total().toLocaleString()} in all`
      : this.error
        ? `could not load: ${this.error}`
        : 'loading…';
    replace(
      document.getElementById('state-counts'),
      JOB_STATES.map((s) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: `/?state=${s}`,
              class: `state-count ${s.toLowerCase()}`,
              dataset: { state: s, count: m.counts[s] },
              onclick: (e) => {
                if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
                e.preventDefault();
                this.o.openState(s);
              },
            },
            h('span', { class: 'n' }, m.counts[s].toLocaleString()),
            h('span', { class: 'label' }, s),
          ),
        ),
      ),
    );
    this.renderDevices();
    this.renderCharts();
  }

  renderDevices() {
    const queues = this.model.queues();
    const devices = [...this.o.devices().values()];
    replace(
      document.querySelector('#device-queues tbody'),
      devices.map((d) => {
        const q = queues.get(d.id) ?? { waiting: 0, running: 0 };
        const waiting = typeof d.queueLength === 'number' ? d.queueLength : q.waiting;
        const online = d.status === 'online';
        return h(
          'tr',
          { dataset: { deviceId: d.id, waiting, running: q.running } },
          h(
            'td',
            { dataset: { label: 'Device' } },
            h(
              'a',
              {
                href: `/?deviceId=${d.id}`,
                onclick: (e) => {
                  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
                  e.preventDefault();
                  this.o.openDevice(d.id);
                },
              },
              d.name,
            ),
            h('div', { class: 'sub' }, d.providerName),
          ),
          h(
            'td',
            { class: 'num waiting', dataset: { label: 'Waiting' } },
            `${waiting.toLocaleString()}${this.activeComplete ? '' : '+'}`,
            typeof d.waitTimeSeconds === 'number'
              ? h('div', { class: 'sub' }, `~${duration(d.waitTimeSeconds * 1000)}`)
              : null,
          ),
          h('td', { class: 'num running', dataset: { label: 'Running' } }, q.running.toLocaleString()),
          h(
            'td',
            { dataset: { label: 'Status' } },
            h('span', { class: `badge ${online ? 'online' : 'offline'}` }, d.status),
          ),
        );
      }),
    );
  }

  renderCharts() {
    const s = this.model.series();
    const finished = s.finished.reduce((a, b) => a + b, 0);
    const failed = s.failed.reduce((a, b) => a + b, 0);
    const ended = [...this.model.ended.values()];
    const waits = ended
      .filter((j) => j.createdAt && j.startedAt)
      .map((j) => Date.parse(j.startedAt) - Date.parse(j.createdAt));
    const runs = ended.filter((j) => j.startedAt).map((j) => Date.parse(j.finishedAt) - Date.parse(j.startedAt));
    const summary = document.getElementById('overview-summary');
    summary.dataset.finished = String(finished);
    summary.dataset.failed = String(failed);
    summary.textContent = `${finished} finished · ${failed} failed · wait p50 ${duration(percentile(waits, 50))} · run p50 ${duration(percentile(runs, 50))}`;
    const style = getComputedStyle(document.documentElement);
    const color = (v) => style.getPropertyValue(v).trim();
    const theme = [
      color('--text'),
      color('--axis'),
      color('--ok'),
      color('--bad'),
      color('--accent'),
      color('--warn'),
    ].join();
    const boxT = document.getElementById('chart-throughput');
    const boxR = document.getElementById('chart-times');
    const width = Math.max(200, boxT.clientWidth);
    if (this.charts && (this.charts.theme !== theme || this.charts.width !== width)) {
      this.charts.throughput.destroy();
      this.charts.times.destroy();
      this.charts = null;
    }
    const throughputData = [s.x, s.finished, s.failed];
    const timesData = [s.x, s.waitP50, s.waitP95, s.runP50, s.runP95];
    if (!this.charts) {
      const axes = (unit) => [
        { stroke: color('--text'), grid: { stroke: color('--axis'), width: 1 }, ticks: { stroke: color('--axis') } },
        {
          stroke: color('--text'),
          grid: { stroke: color('--axis'), width: 1 },
          ticks: { stroke: color('--axis') },
          label: unit,
          size: 50,
        },
      ];
      const opts = (series, unit) => ({
        width,
        height: 180,
        series: [{}, ...series],
        axes: axes(unit),
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
      });
      // one bar a minute, the two series side by side
      const left = uPlot.paths.bars({ size: [0.45, 10], align: -1 });
      const right = uPlot.paths.bars({ size: [0.45, 10], align: 1 });
      const throughput = new uPlot(
        opts(
          [
            {
              label: 'finished',
              stroke: color('--ok'),
              fill: color('--ok'),
              width: 1,
              paths: left,
              points: { show: false },
            },
            {
              label: 'failed',
              stroke: color('--bad'),
              fill: color('--bad'),
              width: 1,
              paths: right,
              points: { show: false },
            },
          ],
          'jobs/min',
        ),
        throughputData,
        boxT,
      );
      const times = new uPlot(
        opts(
          [
            { label: 'wait p50', stroke: color('--accent'), width: 2, spanGaps: true, points: { size: 6 } },
            {
              label: 'wait p95',
              stroke: color('--accent'),
              width: 1,
              dash: [4, 4],
              spanGaps: true,
              points: { size: 5 },
            },
            { label: 'run p50', stroke: color('--warn'), width: 2, spanGaps: true, points: { size: 6 } },
            { label: 'run p95', stroke: color('--warn'), width: 1, dash: [4, 4], spanGaps: true, points: { size: 5 } },
          ],
          'seconds',
        ),
        timesData,
        boxR,
      );
      this.charts = { throughput, times, theme, width };
    } else {
      this.charts.throughput.setData(throughputData);
      this.charts.times.setData(timesData);
    }
  }
}
