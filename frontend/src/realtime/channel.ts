/** One board's subscription on the tab's socket: in-order delivery, gap fill, presence. */

import type { BoardEvent } from "../api/types";
import type { BoardHandlers, Connection } from "./connection";
import type { PresenceMember, PresenceState } from "./protocol";

/** One board's subscription on the shared socket. */
export class BoardChannel {
  readonly board: number;
  /** The seq of the last event handed to `onEvent`. */
  seq: number;
  acked = false;
  ackSeq = 0;
  resyncing = false;
  filling = false;
  private readonly handlers: BoardHandlers;
  private readonly connection: Connection;
  private readonly buffered = new Map<number, BoardEvent>();
  private fillFailures = 0;
  private catchUpTimer: ReturnType<typeof setTimeout> | null = null;
  presence: { card: number | null; state: PresenceState } | null = null;
  private presenceSentAt = 0;
  private presenceTimer: ReturnType<typeof setTimeout> | null = null;
  closed = false;

  constructor(connection: Connection, board: number, seq: number, handlers: BoardHandlers) {
    this.connection = connection;
    this.board = board;
    this.seq = seq;
    this.handlers = handlers;
  }

  /** Whether every event the server announced has been delivered. */
  get caughtUp(): boolean {
    return this.acked && !this.resyncing && !this.filling && this.buffered.size === 0 && this.seq >= this.ackSeq;
  }

  /** Continue from `seq` after a snapshot reload (and subscribe again from there). */
  reset(seq: number): void {
    this.seq = Math.max(0, seq);
    this.resyncing = false;
    for (const key of [...this.buffered.keys()]) if (key <= this.seq) this.buffered.delete(key);
    this.acked = false;
    this.connection.sendSubscribe(this);
    this.drain();
    this.connection.refreshStatus();
  }

  /** Tell others which card this tab has open (`null`: just the board). */
  setPresence(card: number | null, state: PresenceState = "viewing"): void {
    const changed = this.presence?.card !== card || this.presence?.state !== state;
    this.presence = { card, state };
    if (changed) this.sendPresenceThrottled();
  }

  /** Stop following the board. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.catchUpTimer !== null) clearTimeout(this.catchUpTimer);
    if (this.presenceTimer !== null) clearTimeout(this.presenceTimer);
    this.connection.release(this);
  }

  sendPresenceThrottled(): void {
    if (this.presence === null || this.closed) return;
    const wait = this.presenceSentAt + this.connection.presenceThrottleMs - this.connection.now();
    if (wait <= 0) {
      this.sendPresenceNow();
    } else if (this.presenceTimer === null) {
      this.presenceTimer = setTimeout(() => {
        this.presenceTimer = null;
        this.sendPresenceNow();
      }, wait);
    }
  }

  sendPresenceNow(): void {
    // The server takes presence only from subscribed sockets; `subscribed` re-sends it.
    if (this.presence === null || this.closed || !this.acked) return;
    if (this.connection.send({ type: "presence", board: this.board, card: this.presence.card, state: this.presence.state })) {
      this.presenceSentAt = this.connection.now();
    }
  }

  handleSubscribed(seq: number): void {
    this.acked = true;
    this.presenceSentAt = 0;
    this.ackSeq = seq;
    if (this.seq < seq) {
      // The server replays what we missed right after `subscribed`; if it does not
      // arrive soon, fetch it ourselves rather than show a stale board as live.
      if (this.catchUpTimer !== null) clearTimeout(this.catchUpTimer);
      this.catchUpTimer = setTimeout(() => {
        this.catchUpTimer = null;
        if (this.seq < this.ackSeq) void this.fillGap();
      }, this.connection.catchUpWaitMs);
    }
    this.sendPresenceNow();
  }

  handleEvent(event: BoardEvent): void {
    if (this.resyncing) {
      if (event.seq > this.seq) this.buffered.set(event.seq, event);
      return;
    }
    if (event.seq <= this.seq) return; // a duplicate (replay overlapping live delivery)
    if (event.seq === this.seq + 1) {
      this.deliver(event);
      this.drain();
      return;
    }
    this.buffered.set(event.seq, event);
    void this.fillGap();
  }

  handleResync(): void {
    this.resyncing = true;
    this.handlers.onResync();
  }

  handlePresence(members: PresenceMember[]): void {
    this.handlers.onPresence?.(members);
  }

  handleError(code: string, message: string): void {
    this.handlers.onError?.(code, message);
  }

  handleDisconnect(): void {
    this.handlers.onDisconnect?.();
  }

  private deliver(event: BoardEvent): void {
    this.seq = event.seq;
    this.ackSeq = Math.max(this.ackSeq, event.seq);
    this.handlers.onEvent(event);
  }

  private drain(): void {
    for (;;) {
      const next = this.buffered.get(this.seq + 1);
      if (next === undefined) break;
      this.buffered.delete(next.seq);
      this.deliver(next);
    }
    for (const key of [...this.buffered.keys()]) if (key <= this.seq) this.buffered.delete(key);
    this.connection.refreshStatus();
  }

  /** Fetch the events after `seq` from the events endpoint and deliver them in order. */
  async fillGap(): Promise<void> {
    if (this.filling || this.resyncing || this.closed) return;
    this.filling = true;
    this.connection.refreshStatus();
    try {
      for (let page = 0; page < 50; page++) {
        const before = this.seq;
        const result = await this.connection.fetchEvents(this.board, this.seq);
        if (this.closed || this.resyncing) return;
        for (const event of [...result.results].sort((a, b) => a.seq - b.seq)) {
          if (event.seq === this.seq + 1) this.deliver(event);
        }
        this.drain();
        if (!result.has_more || this.seq === before) {
          if (this.buffered.size > 0 && this.seq === before) {
            // The server no longer has the missing events: start again from a snapshot.
            this.handleResync();
          }
          break;
        }
      }
      this.fillFailures = 0;
    } catch {
      this.fillFailures += 1;
      if (this.fillFailures >= 3) {
        this.fillFailures = 0;
        this.handleResync();
      } else {
        setTimeout(() => void this.fillGap(), 1000 * this.fillFailures);
      }
    } finally {
      this.filling = false;
      this.connection.refreshStatus();
    }
  }
}
