import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import pg from 'pg';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PeriodicTasks } from '../common/periodic-tasks';
import type { AnyDomainEvent, DomainEventName } from './domain-events';

export const EVENTS_CHANNEL = 'qunest_events';
type Handler = (event: AnyDomainEvent) => void;

/**
 * Delivers committed domain events to this process. Every process (API or worker) LISTENs on the
 * outbox channel, so a change reaches every subscriber whichever process made it; PostgreSQL sends
 * a notification only once its transaction has committed. Events come out in commit order; an event
 * too large for NOTIFY is read back from the outbox by id without reordering the stream.
 */
@Injectable()
export class DomainEventBus implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(DomainEventBus.name);
  private readonly handlers = new Set<Handler>();
  private client?: pg.Client;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;
  private lastId = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly periodic: PeriodicTasks,
  ) {}

  /** Calls `handler` for every committed event from now on; returns the unsubscribe function. */
  subscribe(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
    this.periodic.every('outbox cleanup', 60_000, () => this.cleanup());
  }

  /** Shutting down: a lost connection is no longer worth a reconnect (events still flow meanwhile). */
  beforeApplicationShutdown(): void {
    this.closed = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.chain.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.databaseUrl, application_name: 'qunest-events' });
    client.on('notification', (msg) => {
      if (msg.channel !== EVENTS_CHANNEL || !msg.payload) return;
      const raw = msg.payload;
      this.chain = this.chain
        .then(() => this.handle(client, raw))
        .catch((err: unknown) => {
          this.logger.error(`could not deliver an event: ${String(err)}`);
        });
    });
    client.on('error', (err) => {
      if (this.closed) return;
      this.logger.warn(`event listener connection lost (${err.message}); reconnecting`);
      this.scheduleReconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.client = client;
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      const since = this.lastId;
      this.connect()
        .then(() => this.replaySince(since))
        .catch((err: unknown) => {
          this.logger.warn(`reconnect failed: ${String(err)}`);
          this.scheduleReconnect();
        });
    }, 1000);
  }

  /** After a lost connection, delivers what was committed meanwhile (best effort, by outbox id). */
  private async replaySince(id: number): Promise<void> {
    if (!this.client || id === 0) return;
    const { rows } = await this.client.query<{ id: string; name: DomainEventName; payload: object }>(
      'select id, name, payload from outbox_event where id > $1 order by id',
      [id],
    );
    for (const row of rows)
      this.dispatch({ id: Number(row.id), name: row.name, payload: row.payload } as AnyDomainEvent);
  }

  private async handle(client: pg.Client, raw: string): Promise<void> {
    const msg = JSON.parse(raw) as { id: number; name: DomainEventName; payload?: object };
    let payload = msg.payload;
    if (payload === undefined) {
      const { rows } = await client.query<{ payload: object }>('select payload from outbox_event where id = $1', [
        msg.id,
      ]);
      if (rows.length === 0) return;
      payload = rows[0].payload;
    }
    this.dispatch({ id: msg.id, name: msg.name, payload } as AnyDomainEvent);
  }

  private dispatch(event: AnyDomainEvent): void {
    if (event.id > this.lastId) this.lastId = event.id;
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.logger.error(`event handler failed on ${event.name}: ${String(err)}`);
      }
    }
  }

  /** Outbox rows are kept an hour: long enough for a reconnecting listener to replay what it missed. */
  private async cleanup(): Promise<void> {
    await this.client?.query(`delete from outbox_event where created_at < now() - interval '1 hour'`);
  }
}
