// Live updates: socket.io when the server offers it, else REST polling every 2 s.
//
// Admins subscribe to everything ({all: true}). When the server refuses that (not an admin), the
// page subscribes per deployment and per unfinished job instead, and resyncs over REST now and then
// to catch what those rooms cannot show. Whenever the socket is missing or down, it polls.

// The event names come from the server (/contract.js is made from its realtime contract).
import { EVENT_NAMES } from './contract.js';

const POLL_MS = 2000;
const SCOPED_RESYNC_MS = 10_000;
const ALL_RESYNC_MS = 30_000;
const RETRY_MS = 10_000;
const ACK_TIMEOUT_MS = 5000;

/**
 * The socket.io browser client, served by the admin module from the socket.io server package (so it
 * matches the server). Null if it cannot be loaded: then the page polls.
 */
async function loadClient() {
  try {
    const mod = await import('/vendor/socket.io.esm.min.js');
    return mod.io ?? mod.default ?? null;
  } catch {
    return null;
  }
}

export class Live {
  /**
   * @param {object} o
   * @param {(name: string, payload: any) => void} o.onEvent
   * @param {(mode: string, detail?: string) => void} o.onMode  'connecting' | 'all' | 'scoped' | 'polling'
   * @param {() => Promise<void>} o.refresh   reloads everything over REST
   * @param {() => {jobs: string[], deployments: string[], devices: string[]}} o.scope  what to follow when not admin
   * @param {(target: object, snapshot: any) => void} o.onSnapshot  the state a subscription starts from
   */
  constructor(o) {
    this.o = o;
    this.mode = 'connecting';
    this.socket = null;
    this.timer = null;
    this.retry = null;
    this.subscribed = new Set();
    this.generation = 0;
  }

  async start(token) {
    this.stop();
    const generation = ++this.generation;
    this.setMode('connecting');
    const io = await loadClient();
    if (generation !== this.generation) return;
    if (!io) {
      this.setMode('polling', 'the socket.io client could not be loaded');
      return;
    }
    const socket = io({ auth: token ? { token } : {}, reconnectionDelayMax: 5000 });
    this.socket = socket;
    for (const name of EVENT_NAMES) socket.on(name, (payload) => this.o.onEvent(name, payload));
    socket.on('connect', () => void this.subscribeAll(socket, generation));
    socket.on('disconnect', (reason) => this.setMode('polling', `socket disconnected (${reason})`));
    socket.on('connect_error', (err) => {
      this.setMode('polling', `socket: ${err.message}`);
      // A refusal by the server's middleware (e.g. a bad token) is not retried by socket.io itself.
      if (!socket.active && generation === this.generation) {
        clearTimeout(this.retry);
        this.retry = setTimeout(() => socket.connect(), RETRY_MS);
      }
    });
  }

  stop() {
    this.generation++;
    clearTimeout(this.retry);
    clearInterval(this.timer);
    this.timer = null;
    this.subscribed.clear();
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.disconnect();
      this.socket = null;
    }
  }

  async subscribeAll(socket, generation) {
    this.subscribed.clear();
    const ack = await this.subscribe(socket, { all: true });
    if (generation !== this.generation) return;
    if (ack.ok) {
      this.o.onSnapshot({ all: true }, ack.snapshot);
      this.setMode('all');
    } else {
      this.setMode('scoped', ack.error);
      this.follow();
    }
    // events may have been missed while disconnected: reload, then follow what the reload found
    await this.o.refresh('connect');
    this.follow();
  }

  /**
   * In scoped mode: joins the rooms of the given devices, deployments and unfinished jobs, and leaves
   * the rooms of what is no longer in scope (jobs that ended, rows that are gone).
   */
  follow() {
    if (this.mode !== 'scoped' || !this.socket?.connected) return;
    const { jobs, deployments, devices } = this.o.scope();
    const wanted = [
      ...devices.map((id) => ({ deviceId: id })),
      ...deployments.map((id) => ({ deploymentId: id })),
      ...jobs.map((id) => ({ jobId: id })),
    ];
    const keys = new Set(wanted.map((t) => JSON.stringify(t)));
    for (const key of [...this.subscribed]) {
      if (keys.has(key)) continue;
      this.subscribed.delete(key);
      this.socket.timeout(ACK_TIMEOUT_MS).emit('unsubscribe', JSON.parse(key), () => {});
    }
    for (const target of wanted) void this.join(target);
  }

  async join(filter) {
    const key = JSON.stringify(filter);
    if (this.subscribed.has(key)) return;
    this.subscribed.add(key);
    const ack = await this.subscribe(this.socket, filter);
    if (!ack.ok) this.subscribed.delete(key);
    else this.o.onSnapshot(filter, ack.snapshot);
  }

  subscribe(socket, filter) {
    return new Promise((resolve) => {
      socket.timeout(ACK_TIMEOUT_MS).emit('subscribe', filter, (err, ack) => {
        if (err) resolve({ ok: false, error: 'no answer to subscribe' });
        else resolve(ack && typeof ack === 'object' ? ack : { ok: false, error: 'unexpected answer' });
      });
    });
  }

  setMode(mode, detail) {
    this.mode = mode;
    this.o.onMode(mode, detail);
    clearInterval(this.timer);
    const every =
      mode === 'polling' ? POLL_MS : mode === 'scoped' ? SCOPED_RESYNC_MS : mode === 'all' ? ALL_RESYNC_MS : 0;
    if (every) {
      this.timer = setInterval(() => {
        void this.o.refresh('timer').then(() => this.follow());
      }, every);
    }
  }
}
