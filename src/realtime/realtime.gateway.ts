import { HttpException, Inject, Logger, OnModuleDestroy } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { bearerToken } from '../auth/auth.guard';
import { AuthService } from '../auth/auth.service';
import { PeriodicTasks } from '../common/periodic-tasks';
import type { Principal } from '../auth/principal';
import { RequestOriginPolicy } from '../common/request-origin';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { AnyDomainEvent, DomainEvent } from '../events/domain-events';
import { DomainEventBus } from '../events/domain-event-bus';
import { RealtimeSnapshots, snapshotSeq } from './realtime-snapshots';
import {
  parseTarget,
  targetKey,
  type AnySnapshot,
  type ClientToServerEvents,
  type ServerEventName,
  type ServerToClientEvents,
  type SubscribeAck,
  type UnsubscribeAck,
} from './realtime.contract';
import { roomsForEvent, roomsForSubscription } from './rooms';
import { checkHandshakeOrigin, engineCors } from './origin-check';

/** Limits of the gateway; the defaults suit production, tests and benchmarks may lower them. */
export interface RealtimeLimits {
  /** Subscriptions one socket may hold at once. */
  maxSubscriptionsPerSocket: number;
  /**
   * A socket whose outgoing buffer holds more packets than this is too slow to keep up: its
   * connection is closed (the client reconnects and resubscribes from a fresh snapshot) rather than
   * letting the server buffer without bound or dropping events silently.
   */
  maxBufferedPackets: number;
  /** How often the slow-socket check runs, in ms. */
  slowSocketCheckMs: number;
}

export const REALTIME_LIMITS = Symbol('REALTIME_LIMITS');
export const DEFAULT_REALTIME_LIMITS: RealtimeLimits = {
  maxSubscriptionsPerSocket: 1000,
  maxBufferedPackets: 5000,
  slowSocketCheckMs: 2000,
};

/** Events buffered for a socket while its subscription reads the snapshot. */
const MAX_PENDING_EVENTS = 10_000;
/** Subscriptions one socket may have reading their snapshot at once (each holds a database connection). */
const MAX_SUBSCRIBES_IN_FLIGHT = 8;

type QSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type QServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

interface SocketData {
  principal: Principal;
  /** targetKey -> rooms joined for it. */
  subscriptions: Map<string, string[]>;
  /** Subscriptions of this socket still reading their snapshot. */
  inFlight: number;
}

/** A subscription between joining and acknowledging: the events for its rooms are held here. */
interface PendingSubscription {
  socket: QSocket;
  rooms: ReadonlySet<string>;
  events: AnyDomainEvent[];
  overflow: boolean;
}

/**
 * socket.io on the API's port (default path /socket.io). The handshake is authenticated in a
 * socket.io middleware with the same AuthService as REST (Nest guards do not run for sockets); the
 * gateway subscribes once to the DomainEventBus of its process and sends each committed event to the
 * rooms that may see it (rooms.ts), without reading the database. See docs/realtime.md.
 */
@WebSocketGateway({ serveClient: false })
export class RealtimeGateway implements OnGatewayInit<QServer>, OnGatewayConnection<QSocket>, OnModuleDestroy {
  private readonly logger = new Logger(RealtimeGateway.name);
  private server?: QServer;
  private unsubscribeBus?: () => void;
  private readonly pending = new Set<PendingSubscription>();

  constructor(
    private readonly auth: AuthService,
    private readonly bus: DomainEventBus,
    private readonly snapshots: RealtimeSnapshots,
    @Inject(REALTIME_LIMITS) private readonly limits: RealtimeLimits,
    private readonly periodic: PeriodicTasks,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  afterInit(server: QServer): void {
    this.server = server;
    // Another website's page (Origin) or a rebound DNS name (Host, open mode) is refused before the token is read.
    const origins = RequestOriginPolicy.fromConfig(this.config);
    server.engine.use(engineCors(origins));
    server.use(checkHandshakeOrigin(origins));
    server.use((socket, next) => {
      this.authenticate(socket as QSocket).then(
        () => next(),
        (err: unknown) => next(new Error(reasonOf(err))),
      );
    });
    this.unsubscribeBus = this.bus.subscribe((event) => this.route(event));
    this.periodic.every('slow socket check', this.limits.slowSocketCheckMs, () => this.closeSlowSockets());
  }

  onModuleDestroy(): void {
    this.unsubscribeBus?.();
    this.periodic.cancel('slow socket check');
  }

  handleConnection(socket: QSocket): void {
    socket.on('subscribe', (raw, ack) => {
      if (typeof ack !== 'function') return;
      let answered = false;
      const once = (reply: SubscribeAck) => {
        if (answered) return;
        answered = true;
        ack(reply);
      };
      this.subscribe(socket, raw, once).catch((err: unknown) => {
        this.logger.error(`subscribe failed: ${String(err)}`);
        once({ ok: false, error: 'internal error' });
      });
    });
    socket.on('unsubscribe', (raw, ack) => {
      const reply = this.unsubscribe(socket, raw);
      if (typeof ack === 'function') ack(reply);
    });
  }

  /** The socket.io server of this instance (for tools and tests). */
  get io(): QServer | undefined {
    return this.server;
  }

  /** Sockets connected to this instance. */
  get connections(): number {
    return this.server?.engine.clientsCount ?? 0;
  }

  private async authenticate(socket: QSocket): Promise<void> {
    const fromAuth = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    let token: string | undefined;
    if (typeof fromAuth === 'string' && fromAuth !== '') token = fromAuth;
    else if (fromAuth !== undefined && fromAuth !== null && fromAuth !== '')
      throw new Error('auth.token must be a string');
    else token = bearerToken(socket.handshake.headers.authorization);
    socket.data.principal = await this.auth.authenticate(token);
    socket.data.subscriptions = new Map();
    socket.data.inFlight = 0;
  }

  /**
   * Joins the rooms of a target and answers with a snapshot. Order matters: the socket is marked
   * pending (events for its rooms are held), the snapshot is read, and then, in one synchronous
   * step, the socket joins the rooms, the ack goes out and the held events newer than the snapshot
   * follow. So after the ack a client receives every later event of the target exactly once, and
   * a job's seq continues at snapshot seq + 1.
   */
  private async subscribe(socket: QSocket, raw: unknown, ack: (reply: SubscribeAck) => void): Promise<void> {
    const parsed = parseTarget(raw);
    if ('error' in parsed) return ack({ ok: false, error: parsed.error });
    const { target } = parsed;
    const { principal, subscriptions } = socket.data;
    const rooms = roomsForSubscription(principal, target);
    if (!rooms) return ack({ ok: false, error: 'forbidden: only admins may subscribe to all events' });
    const key = targetKey(target);
    if (!subscriptions.has(key) && subscriptions.size >= this.limits.maxSubscriptionsPerSocket) {
      return ack({
        ok: false,
        error: `too many subscriptions (at most ${this.limits.maxSubscriptionsPerSocket} a socket)`,
      });
    }
    if (socket.data.inFlight >= MAX_SUBSCRIBES_IN_FLIGHT) {
      return ack({
        ok: false,
        error: `too many subscriptions in progress (at most ${MAX_SUBSCRIBES_IN_FLIGHT} at once)`,
      });
    }
    const pending: PendingSubscription = { socket, rooms: new Set(rooms), events: [], overflow: false };
    this.pending.add(pending);
    socket.data.inFlight++;
    let snapshot: AnySnapshot | null;
    try {
      snapshot = await this.snapshots.read(principal, target, this.connections);
    } finally {
      this.pending.delete(pending);
      socket.data.inFlight--;
    }
    if (!snapshot) return ack({ ok: false, error: 'not found' });
    if (!socket.connected) return;
    if (pending.overflow) return ack({ ok: false, error: 'too many events while subscribing; try again' });
    // One synchronous step, so no event can be routed in between: join the rooms (the in-memory
    // adapter joins at once), send the ack, then the held events that the snapshot does not include.
    void socket.join(rooms);
    subscriptions.set(key, rooms);
    ack({ ok: true, snapshot });
    for (const e of pending.events) {
      if (isNewer(e, snapshot)) emitEvent(socket, e);
    }
  }

  private unsubscribe(socket: QSocket, raw: unknown): UnsubscribeAck {
    const parsed = parseTarget(raw);
    if ('error' in parsed) return { ok: false, error: parsed.error };
    const key = targetKey(parsed.target);
    const rooms = socket.data.subscriptions?.get(key);
    if (!rooms) return { ok: false, error: 'not subscribed' };
    socket.data.subscriptions.delete(key);
    for (const room of rooms) {
      if (![...socket.data.subscriptions.values()].some((r) => r.includes(room))) void socket.leave(room);
    }
    return { ok: true };
  }

  /** The event path: one broadcast to the union of rooms (socket.io sends it once per socket). */
  private route(event: AnyDomainEvent): void {
    const server = this.server;
    if (!server) return;
    const rooms = roomsForEvent(event);
    if (rooms.length === 0) return;
    emitEvent(server.to(rooms), event);
    if (this.pending.size === 0) return;
    for (const p of this.pending) {
      if (!rooms.some((r) => p.rooms.has(r))) continue;
      // Already receiving it through a room it joined before: it must not get it twice.
      if (rooms.some((r) => p.socket.rooms.has(r))) continue;
      if (p.events.length >= MAX_PENDING_EVENTS) p.overflow = true;
      else p.events.push(event);
    }
  }

  private closeSlowSockets(): void {
    const server = this.server;
    if (!server) return;
    for (const socket of server.sockets.sockets.values()) {
      // engine.io's per-connection queue of packets not yet handed to the transport (private in its types).
      const buffered = (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
      if (buffered > this.limits.maxBufferedPackets) {
        this.logger.warn(`closing socket ${socket.id}: ${buffered} packets buffered, the client does not keep up`);
        // close(true) discards the buffer and closes now (a plain close would wait for the buffer to
        // drain, which a stuck client never does); for a websocket, drop the TCP connection at once
        // too, rather than waiting for ws's close handshake timeout with the unsent bytes held.
        const ws = (socket.conn.transport as unknown as { socket?: { terminate?: () => void } }).socket;
        socket.conn.close(true);
        ws?.terminate?.();
      }
    }
  }
}

/** An event is newer than the snapshot unless the snapshot lists its job with an equal or greater seq. */
function isNewer(event: AnyDomainEvent, snapshot: AnySnapshot): boolean {
  const p = event.payload as { jobId?: string; seq?: number };
  if (p.jobId === undefined || p.seq === undefined) return true;
  const seq = snapshotSeq(snapshot, p.jobId);
  return seq === undefined || p.seq > seq;
}

/** What can send server events: a socket, or the server narrowed to rooms. */
interface EventSink {
  emit<N extends ServerEventName>(name: N, ...args: Parameters<ServerToClientEvents[N]>): boolean;
}

/**
 * Sends a committed domain event under its own name with its payload. The contract gives every
 * name one listener taking DomainEventMap[name]; TypeScript cannot relate the two indexed types of a
 * generic name, so this is the one place that states it (narrowly, instead of `as never` at each emit).
 */
function emitEvent<N extends ServerEventName>(sink: EventSink, event: DomainEvent<N>): void {
  const args = [event.payload] as Parameters<ServerToClientEvents[N]>;
  sink.emit(event.name, ...args);
}

function reasonOf(err: unknown): string {
  if (err instanceof HttpException) {
    const body = err.getResponse();
    if (typeof body === 'object' && body !== null && 'message' in body)
      return String((body as { message: unknown }).message);
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
