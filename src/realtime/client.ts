/**
 * A typed socket.io client for Qunest (for Node tools, tests, benchmarks and the admin UI):
 *
 *   const socket = connectQunest('http://localhost:3000', { token });
 *   await socket.ready();                       // rejects with the server's reason for a bad token
 *   const ack = await socket.subscribe({ jobId });
 *   if (ack.ok) render(ack.snapshot);
 *   socket.on('job.progress', (e) => ...);      // payloads typed by event name
 *
 * It needs socket.io-client (a devDependency of the server; a dependency of whatever uses this).
 * After a reconnect the server has forgotten the socket's rooms, so the helper subscribes again to
 * every target it holds and hands each new ack (with a fresh snapshot) to `onResubscribe`.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  targetKey,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SnapshotOf,
  type SubscribeAck,
  type SubscriptionTarget,
  type UnsubscribeAck,
} from './realtime.contract';

export interface ConnectOptions {
  /** A bearer JWT; omit for anonymous access. */
  token?: string;
  /** How long subscribe/unsubscribe wait for the server's ack, in ms (default 10 s). */
  ackTimeoutMs?: number;
  /** Called with the new ack of every target subscribed again after a reconnect. */
  onResubscribe?: (target: SubscriptionTarget, ack: SubscribeAck) => void;
  /** Passed to socket.io-client's io() (e.g. transports: ['websocket'], reconnection: false). */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

export interface QunestSocketMethods {
  /** Resolves once connected; rejects with the server's reason when the connection is refused. */
  ready(): Promise<void>;
  /** Follows a target; the ack carries its snapshot (or `{ok: false, error}`). */
  subscribe<T extends SubscriptionTarget>(target: T): Promise<SubscribeAck<SnapshotOf<T>>>;
  unsubscribe(target: SubscriptionTarget): Promise<UnsubscribeAck>;
}

export type QunestSocket = Socket<ServerToClientEvents, ClientToServerEvents> & QunestSocketMethods;

export function connectQunest(url: string, options: ConnectOptions = {}): QunestSocket {
  const ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
  const socket = io(url, {
    ...options.socket,
    auth: options.token ? { token: options.token } : {},
  }) as Socket<ServerToClientEvents, ClientToServerEvents>;
  const targets = new Map<string, SubscriptionTarget>();
  let connectedOnce = false;

  socket.on('connect', () => {
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    for (const target of targets.values()) {
      socket
        .timeout(ackTimeoutMs)
        .emitWithAck('subscribe', target)
        .then(
          (ack) => options.onResubscribe?.(target, ack),
          (err: unknown) => options.onResubscribe?.(target, { ok: false, error: String(err) }),
        );
    }
  });

  const methods: QunestSocketMethods = {
    ready: () =>
      new Promise<void>((resolve, reject) => {
        if (socket.connected) return resolve();
        const onConnect = () => {
          socket.off('connect_error', onError);
          resolve();
        };
        const onError = (err: Error) => {
          socket.off('connect', onConnect);
          reject(err);
        };
        socket.once('connect', onConnect);
        socket.once('connect_error', onError);
      }),
    subscribe: async <T extends SubscriptionTarget>(target: T) => {
      const ack = (await socket.timeout(ackTimeoutMs).emitWithAck('subscribe', target)) as SubscribeAck<SnapshotOf<T>>;
      if (ack.ok) targets.set(targetKey(target), target);
      return ack;
    },
    unsubscribe: async (target: SubscriptionTarget) => {
      targets.delete(targetKey(target));
      return socket.timeout(ackTimeoutMs).emitWithAck('unsubscribe', target);
    },
  };
  return Object.assign(socket, methods);
}
