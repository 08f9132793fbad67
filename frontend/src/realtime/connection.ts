/**
 * The tab's one websocket: reconnects with backoff and jitter, resubscribes each board
 * with `since`, fills seq gaps from the events endpoint, and reports a status people
 * can trust (live only once every board is subscribed and caught up).
 */

import type { AppNotification, BoardEvent, EventsPage } from "../api/types";
import { BoardChannel } from "./channel";
import { parseServerMessage, type ClientMessage, type PresenceMember, type ServerMessage } from "./protocol";

export { BoardChannel };

export type ConnectionStatus =
  | { kind: "connecting" }
  | { kind: "live" }
  | { kind: "reconnecting"; retryAt: number | null }
  | { kind: "offline" };

/** The part of the browser's WebSocket this module uses (tests pass a fake). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code?: number }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;

export interface ConnectionOptions {
  url: string;
  fetchEvents: (board: number, after: number) => Promise<EventsPage>;
  createSocket?: (url: string) => SocketLike;
  isOnline?: () => boolean;
  /** Where `online`/`offline` events come from (the window in a browser). */
  environment?: Pick<EventTarget, "addEventListener" | "removeEventListener"> | null;
  random?: () => number;
  now?: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** How long to wait for the replay after `subscribed` before fetching the gap. */
  catchUpWaitMs?: number;
  presenceHeartbeatMs?: number;
  presenceThrottleMs?: number;
  /**
   * Resolve to false when the session is gone (a refused handshake looks like any
   * network failure, so ask the API); the connection then stops and calls `onSessionLost`.
   */
  checkSession?: () => Promise<boolean>;
  onSessionLost?: () => void;
}

export interface BoardHandlers {
  /** Receive the board's events in seq order, each exactly once. */
  onEvent(event: BoardEvent): void;
  /** Reload the snapshot, then call the channel's `reset(seq)`. */
  onResync(): void;
  onPresence?(members: PresenceMember[]): void;
  onError?(code: string, message: string): void;
  /** The socket dropped: presence is unknown until the board is subscribed again. */
  onDisconnect?(): void;
}

/** The server restarts (SIGTERM): reconnect at once. */
export const CLOSE_SERVICE_RESTART = 1012;
/** Unauthenticated, suspended, or this session/token ended (logout, revocation). */
const SESSION_CLOSE_CODES = new Set([4401, 4403, 4410]);

/** Return the backoff delay before reconnect attempt `attempt` (0-based), with jitter. */
export function backoffDelay(attempt: number, random: () => number, base = 1000, max = 30000): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 16));
  // "Equal jitter": never less than half the ceiling, so clients spread out but still wait.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** The tab's websocket, shared by every board the tab shows. */
export class Connection {
  readonly fetchEvents: (board: number, after: number) => Promise<EventsPage>;
  readonly now: () => number;
  readonly catchUpWaitMs: number;
  readonly presenceThrottleMs: number;
  private readonly url: string;
  private readonly createSocket: (url: string) => SocketLike;
  private readonly isOnline: () => boolean;
  private readonly environment: ConnectionOptions["environment"];
  private readonly random: () => number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly pingIntervalMs: number;
  private readonly pongTimeoutMs: number;
  private readonly presenceHeartbeatMs: number;
  private readonly checkSession: (() => Promise<boolean>) | null;
  private readonly onSessionLost: (() => void) | null;

  private socket: SocketLike | null = null;
  private channels = new Map<number, BoardChannel>();
  private listeners = new Set<(status: ConnectionStatus) => void>();
  private notificationListeners = new Set<(notification: AppNotification) => void>();
  private current: ConnectionStatus = { kind: "connecting" };
  private attempt = 0;
  /** Set when a socket drops, cleared once live again: tells "reconnecting" from "connecting". */
  private dropped = false;
  private liveSince: number | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryAt: number | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private started = false;

  constructor(options: ConnectionOptions) {
    this.url = options.url;
    this.fetchEvents = options.fetchEvents;
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.isOnline = options.isOnline ?? (() => (typeof navigator === "undefined" ? true : navigator.onLine !== false));
    this.environment = options.environment === undefined ? (typeof window === "undefined" ? null : window) : options.environment;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => Date.now());
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30000;
    this.pingIntervalMs = options.pingIntervalMs ?? 25000;
    this.pongTimeoutMs = options.pongTimeoutMs ?? 10000;
    this.catchUpWaitMs = options.catchUpWaitMs ?? 1500;
    this.presenceHeartbeatMs = options.presenceHeartbeatMs ?? 10000;
    this.presenceThrottleMs = options.presenceThrottleMs ?? 500;
    this.checkSession = options.checkSession ?? null;
    this.onSessionLost = options.onSessionLost ?? null;
  }

  get status(): ConnectionStatus {
    return this.current;
  }

  /** Open the socket (idempotent). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.environment?.addEventListener("online", this.handleOnline);
    this.environment?.addEventListener("offline", this.handleOffline);
    this.heartbeatTimer = setInterval(() => {
      for (const channel of this.channels.values()) channel.sendPresenceNow();
    }, this.presenceHeartbeatMs);
    if (this.isOnline()) this.open();
    else this.setStatus({ kind: "offline" });
  }

  /** Close the socket for good (logout). */
  stop(): void {
    this.started = false;
    this.environment?.removeEventListener("online", this.handleOnline);
    this.environment?.removeEventListener("offline", this.handleOffline);
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.clearRetry();
    this.dropSocket();
    this.channels.clear();
    this.setStatus({ kind: "offline" });
  }

  /** Call `listener` with every notification the server sends this user. */
  onNotification(listener: (notification: AppNotification) => void): () => void {
    this.notificationListeners.add(listener);
    return () => this.notificationListeners.delete(listener);
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follow a board from `seq` (the snapshot's); returns its channel. */
  watch(board: number, seq: number, handlers: BoardHandlers): BoardChannel {
    this.channels.get(board)?.close();
    const channel = new BoardChannel(this, board, seq, handlers);
    this.channels.set(board, channel);
    this.sendSubscribe(channel);
    this.refreshStatus();
    return channel;
  }

  /** Reconnect now instead of waiting for the backoff timer. */
  retryNow(): void {
    if (!this.started || this.socket !== null) return;
    this.clearRetry();
    if (this.isOnline()) this.open();
  }

  release(channel: BoardChannel): void {
    if (this.channels.get(channel.board) !== channel) return;
    this.channels.delete(channel.board);
    this.send({ type: "unsubscribe", board: channel.board });
    this.refreshStatus();
  }

  sendSubscribe(channel: BoardChannel): void {
    channel.acked = false;
    this.send({ type: "subscribe", board: channel.board, since: channel.seq });
  }

  /** Send a message if the socket is open; return whether it was sent. */
  send(message: ClientMessage): boolean {
    if (this.socket === null || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  refreshStatus(): void {
    if (!this.started) return;
    if (!this.isOnline()) return this.setStatus({ kind: "offline" });
    if (this.socket !== null && this.socket.readyState === OPEN) {
      const ready = [...this.channels.values()].every((channel) => channel.caughtUp);
      if (ready) {
        if (this.liveSince === null) this.liveSince = this.now();
        this.dropped = false;
        return this.setStatus({ kind: "live" });
      }
    }
    if (this.retryTimer !== null) return this.setStatus({ kind: "reconnecting", retryAt: this.retryAt });
    this.setStatus(this.dropped ? { kind: "reconnecting", retryAt: null } : { kind: "connecting" });
  }

  private setStatus(status: ConnectionStatus): void {
    const same =
      status.kind === this.current.kind &&
      (status.kind !== "reconnecting" || this.current.kind !== "reconnecting" || status.retryAt === this.current.retryAt);
    this.current = status;
    if (!same) for (const listener of this.listeners) listener(status);
  }

  private open(): void {
    this.clearRetry();
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      for (const channel of this.channels.values()) this.sendSubscribe(channel);
      this.startPing();
      this.refreshStatus();
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.clearPongTimer();
      if (typeof event.data !== "string") return;
      const message = parseServerMessage(event.data);
      if (message !== null) this.dispatch(message);
    };
    socket.onerror = () => {
      // A close always follows; reconnecting is handled there.
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.handleDrop();
      // 1012: the server is restarting and closed us on purpose; another process takes
      // over at once, so reconnect without waiting (a failure there backs off as usual).
      if (opened && event.code === CLOSE_SERVICE_RESTART) {
        this.attempt = 0;
        this.retryNow();
      }
      // A refused handshake never opens; the others: logged out, suspended, or this
      // session or token ended.
      if (!opened || SESSION_CLOSE_CODES.has(event.code ?? 0)) void this.verifySession();
    };
    this.refreshStatus();
  }

  private dispatch(message: ServerMessage): void {
    switch (message.type) {
      case "subscribed":
        this.channels.get(message.board)?.handleSubscribed(message.seq);
        break;
      case "event":
        this.channels.get(message.board)?.handleEvent(message);
        break;
      case "resync":
        this.channels.get(message.board)?.handleResync();
        break;
      case "presence":
        this.channels.get(message.board)?.handlePresence(message.members);
        break;
      case "error": {
        // Errors name no board unless the server adds one: tell the boards still
        // waiting for their subscription, which are the ones a refusal concerns.
        const targets =
          message.board !== undefined
            ? [this.channels.get(message.board)].filter((c): c is BoardChannel => c !== undefined)
            : [...this.channels.values()].filter((c) => !c.acked);
        for (const channel of targets) channel.handleError(message.code, message.message);
        break;
      }
      case "pong":
        break;
      case "notification":
        for (const listener of this.notificationListeners) listener(message.notification);
        break;
    }
    this.refreshStatus();
  }

  private async verifySession(): Promise<void> {
    if (this.checkSession === null) return;
    let alive = true;
    try {
      alive = await this.checkSession();
    } catch {
      alive = true; // unknown: keep retrying
    }
    if (!alive && this.started) {
      this.stop();
      this.onSessionLost?.();
    }
  }

  private handleDrop(): void {
    this.dropped = true;
    this.dropSocket();
    if (!this.started) return;
    if (!this.isOnline()) {
      this.setStatus({ kind: "offline" });
      return;
    }
    this.scheduleReconnect();
  }

  private dropSocket(): void {
    this.stopPing();
    const socket = this.socket;
    this.socket = null;
    if (this.liveSince !== null && this.now() - this.liveSince > 10000) this.attempt = 0;
    this.liveSince = null;
    if (socket !== null) {
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    for (const channel of this.channels.values()) {
      channel.acked = false;
      if (socket !== null) channel.handleDisconnect();
    }
  }

  private scheduleReconnect(): void {
    this.clearRetry();
    const delay = backoffDelay(this.attempt, this.random, this.baseDelayMs, this.maxDelayMs);
    this.attempt += 1;
    this.retryAt = this.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.retryAt = null;
      if (this.started && this.isOnline()) this.open();
      else this.refreshStatus();
    }, delay);
    this.refreshStatus();
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: "ping" })) return;
      if (this.pongTimer === null) {
        // No frame at all within the timeout: the socket is dead even if not closed yet.
        this.pongTimer = setTimeout(() => {
          this.pongTimer = null;
          this.handleDrop();
        }, this.pongTimeoutMs);
      }
    }, this.pingIntervalMs);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.clearPongTimer();
  }

  private clearPongTimer(): void {
    if (this.pongTimer !== null) clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  private readonly handleOnline = (): void => {
    if (!this.started) return;
    this.attempt = 0;
    if (this.socket === null) this.open();
    else this.refreshStatus();
  };

  private readonly handleOffline = (): void => {
    if (!this.started) return;
    this.dropped = true;
    this.clearRetry();
    this.dropSocket();
    this.setStatus({ kind: "offline" });
  };
}
