/**
 * One board's live state for React: loads the snapshot, follows the board on the
 * shared socket, and exposes an immutable view through `useSyncExternalStore`.
 */

import { useSyncExternalStore } from "react";

import { ApiError } from "../api/client";
import type { BoardEvent, Comment, EventsPage, Me, Snapshot } from "../api/types";
import type { BoardChannel, Connection } from "./connection";
import { describeEvent } from "./describe";
import type { PresenceMember, PresenceState } from "./protocol";
import {
  accept as acceptInto,
  addPending,
  applyEvent,
  confirm,
  fromSnapshot,
  rollback,
  withComments,
  type Accepted,
  type BoardState,
  type Change,
} from "./reconcile";
import { materialize, type BoardView } from "./view";

export type LoadState = "loading" | "ready" | "not_found" | "error" | "removed";

export interface ActivityItem {
  event: BoardEvent;
  text: string;
}

export interface BoardSnapshotView {
  load: LoadState;
  error: string | null;
  view: BoardView | null;
  presence: PresenceMember[];
  activity: ActivityItem[];
  activityLoaded: boolean;
  /** Cards others just changed (card id → event seq), to highlight them briefly. */
  flash: Readonly<Record<number, number>>;
}

export interface BoardStoreDeps {
  me: Me;
  connection: Connection;
  fetchSnapshot: (board: number) => Promise<Snapshot>;
  fetchEvents: (board: number, after: number, limit?: number) => Promise<EventsPage>;
  fetchComments: (card: number) => Promise<Comment[]>;
  /** Tell screen-reader users about others' changes (a polite live region). */
  announce: (text: string) => void;
}

const ACTIVITY_LIMIT = 200;

/** Merge the server's presence list into one entry per user (a user may have several tabs). */
export function mergePresence(members: readonly PresenceMember[]): PresenceMember[] {
  const byUser = new Map<number, PresenceMember>();
  for (const member of members) {
    const known = byUser.get(member.user.id);
    if (known === undefined || (known.card === null && member.card !== null) || member.state === "editing") {
      byUser.set(member.user.id, member);
    }
  }
  return [...byUser.values()].sort((a, b) => a.user.username.localeCompare(b.user.username));
}

let opCounter = 0;
let tempCounter = 0;

/** Return a fresh negative id for an object that only exists locally until the server answers. */
export function tempId(): number {
  tempCounter += 1;
  return -tempCounter;
}

export class BoardStore {
  readonly boardId: number;
  readonly me: Me;
  private readonly deps: BoardStoreDeps;
  private state: BoardState | null = null;
  private snapshot: BoardSnapshotView = {
    load: "loading",
    error: null,
    view: null,
    presence: [],
    activity: [],
    activityLoaded: false,
    flash: {},
  };
  private readonly listeners = new Set<() => void>();
  private channel: BoardChannel | null = null;
  private stopped = false;
  /** Bumped by each start(), so that a stale start's late answers are dropped. */
  private generation = 0;
  private presenceCard: number | null = null;
  private presenceState: PresenceState = "viewing";

  constructor(boardId: number, deps: BoardStoreDeps) {
    this.boardId = boardId;
    this.me = deps.me;
    this.deps = deps;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): BoardSnapshotView => this.snapshot;

  get current(): BoardView | null {
    return this.snapshot.view;
  }

  /** Load the board and start following it live. */
  async start(): Promise<void> {
    this.stopped = false;
    this.generation += 1;
    const generation = this.generation;
    try {
      const snapshot = await this.deps.fetchSnapshot(this.boardId);
      if (this.stopped || generation !== this.generation) return;
      this.state = fromSnapshot(snapshot);
      this.channel = this.deps.connection.watch(this.boardId, snapshot.seq, {
        onEvent: (event) => this.receive(event),
        onResync: () => void this.resync(),
        onPresence: (members) => this.publish({ presence: mergePresence(members) }),
        onDisconnect: () => this.publish({ presence: [] }),
        onError: (code, message) => {
          if ((code === "not_found" || code === "forbidden") && this.snapshot.load !== "removed") {
            this.publish({ load: "not_found", error: message });
          }
        },
      });
      this.channel.setPresence(this.presenceCard, this.presenceState);
      this.publish({ load: "ready", error: null });
      void this.loadActivity();
    } catch (error) {
      if (this.stopped || generation !== this.generation) return;
      if (error instanceof ApiError && (error.status === 404 || error.status === 403)) {
        this.publish({ load: "not_found", error: error.message });
      } else {
        this.publish({ load: "error", error: error instanceof Error ? error.message : "Could not load the board." });
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.channel?.close();
    this.channel = null;
  }

  /** Say which card this tab has open (null for none), re-sent as a heartbeat. */
  setPresence(card: number | null, state: PresenceState = "viewing"): void {
    this.presenceCard = card;
    this.presenceState = state;
    this.channel?.setPresence(card, state);
  }

  /** Show changes at once; return a function to settle them with the server's answer. */
  optimistic(changes: Change[]): { confirm: (accepted?: Accepted[]) => void; rollback: () => void } {
    opCounter += 1;
    const id = `op-${opCounter}`;
    this.update((state) => addPending(state, { id, changes }));
    return {
      confirm: (accepted = []) => this.update((state) => confirm(state, id, accepted)),
      rollback: () => this.update((state) => rollback(state, id)),
    };
  }

  /** Record what a request returned, outside any optimistic change. */
  accept(accepted: Accepted[]): void {
    this.update((state) => accepted.reduce(acceptInto, state));
  }

  /** Return the confirmed version of a card (what `If-Match` must carry). */
  confirmedVersion(kind: "card" | "column" | "board", id: number): number | undefined {
    if (this.state === null) return undefined;
    if (kind === "board") return this.state.board.version;
    if (kind === "card") return this.state.cards[id]?.version;
    return this.state.columns[id]?.version;
  }

  async loadComments(card: number): Promise<void> {
    const comments = await this.deps.fetchComments(card);
    this.update((state) => withComments(state, card, comments));
  }

  private async loadActivity(): Promise<void> {
    if (this.state === null) return;
    try {
      const after = Math.max(0, this.state.seq - 50);
      const page = await this.deps.fetchEvents(this.boardId, after, 50);
      const state = this.state;
      const known = new Set(this.snapshot.activity.map((item) => item.event.seq));
      const older = page.results
        .filter((event) => !known.has(event.seq))
        .map((event) => ({ event, text: describeEvent(event, null, state) }));
      const activity = [...older, ...this.snapshot.activity].sort((a, b) => a.event.seq - b.event.seq).slice(-ACTIVITY_LIMIT);
      this.publish({ activity, activityLoaded: true });
    } catch {
      this.publish({ activityLoaded: true });
    }
  }

  private receive(event: BoardEvent): void {
    if (this.state === null || event.seq <= this.state.seq) return;
    const before = this.state;
    this.state = applyEvent(this.state, event);
    const after = materialize(this.state);
    // Described against the confirmed state: the view may already show our own pending move.
    const text = describeEvent(event, before, this.state);
    const activity = [...this.snapshot.activity.filter((a) => a.event.seq !== event.seq), { event, text }].slice(-ACTIVITY_LIMIT);
    const removedMe = event.event === "member.removed" && Number(event.data.id) === this.me.id;
    const remote = event.actor?.id !== this.me.id;
    const cardId = event.event.startsWith("card.") ? Number(event.data.id) : NaN;
    const flash = remote && Number.isFinite(cardId) ? { ...this.snapshot.flash, [cardId]: event.seq } : this.snapshot.flash;
    this.publish({ view: after, activity, flash, ...(removedMe ? { load: "removed" as const } : {}) });
    if (remote) this.deps.announce(text);
  }

  private async resync(): Promise<void> {
    try {
      const snapshot = await this.deps.fetchSnapshot(this.boardId);
      if (this.stopped) return;
      this.state = fromSnapshot(snapshot, this.state);
      this.publish({ view: materialize(this.state) });
      this.channel?.reset(snapshot.seq);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.publish({ load: "not_found", error: error.message });
        return;
      }
      setTimeout(() => void this.resync(), 2000);
    }
  }

  private update(fn: (state: BoardState) => BoardState): void {
    if (this.state === null) return;
    const next = fn(this.state);
    if (next === this.state) return;
    this.state = next;
    this.publish({ view: materialize(next) });
  }

  private publish(patch: Partial<BoardSnapshotView>): void {
    if (this.state !== null && patch.view === undefined && this.snapshot.view === null) {
      patch = { ...patch, view: materialize(this.state) };
    }
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}

/** Read a board store from React, re-rendering on every change. */
export function useBoardStore(store: BoardStore): BoardSnapshotView {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
