/**
 * Pure functions that fold server events, REST answers and optimistic changes into a
 * board's state.
 *
 * The state keeps what the server confirmed (`seq`, objects with their `version`) apart
 * from the user's pending optimistic changes; the screen shows the merge of both
 * (`view.ts`), so rolling back a refused change is only dropping it.
 */

import type { Board, BoardEvent, Card, Column, Comment, Label, Member, Snapshot } from "../api/types";

type IdMap<T> = Readonly<Record<number, T>>;

export interface BoardState {
  /** The seq of the last event applied; events at or below it are duplicates. */
  seq: number;
  board: Board;
  deleted: boolean;
  columns: IdMap<Column>;
  /** Cards, archived ones included (hidden on screen) so that their versions are known. */
  cards: IdMap<Card>;
  labels: IdMap<Label>;
  /** Members by user id. */
  members: IdMap<Member>;
  /** Comments of the cards whose comments were loaded, by card id. */
  comments: IdMap<readonly Comment[]>;
  /** Deleted objects ("card:12"), so that a late REST answer cannot bring them back. */
  gone: Readonly<Record<string, true>>;
  /** Events that arrived after a gap, waiting for the missing ones; sorted by seq. */
  buffered: readonly BoardEvent[];
  /** When set, the events after this seq are missing (fetch them from the events endpoint). */
  gapAfter: number | null;
  pending: readonly PendingOp[];
}

/** One optimistic change, in terms of the objects it touches. */
export type Change =
  | { kind: "card.put"; card: Card; knownIds?: readonly number[] }
  | { kind: "card.patch"; id: number; patch: Partial<Card> }
  | { kind: "card.remove"; id: number }
  | { kind: "column.put"; column: Column; knownIds?: readonly number[] }
  | { kind: "column.patch"; id: number; patch: Partial<Column> }
  | { kind: "column.remove"; id: number }
  | { kind: "board.patch"; patch: Partial<Board> }
  | { kind: "label.put"; label: Label }
  | { kind: "label.remove"; id: number }
  | { kind: "comment.put"; comment: Comment; knownIds?: readonly number[] }
  | { kind: "comment.patch"; id: number; card: number; patch: Partial<Comment> }
  | { kind: "comment.remove"; id: number; card: number };

export interface PendingOp {
  id: string;
  changes: readonly Change[];
}

/** What the server answered to a request, accepted into the confirmed state. */
export type Accepted =
  | { type: "card"; value: Card }
  | { type: "column"; value: Column }
  | { type: "board"; value: Board }
  | { type: "label"; value: Label }
  | { type: "comment"; value: Comment }
  | { type: "gone"; entity: "card" | "column" | "label" | "comment"; id: number };

function indexById<T extends { id: number }>(items: readonly T[]): Record<number, T> {
  const map: Record<number, T> = {};
  for (const item of items) map[item.id] = item;
  return map;
}

/** Return the state of a freshly loaded snapshot (keeping comments already loaded). */
export function fromSnapshot(snapshot: Snapshot, previous?: BoardState | null): BoardState {
  const members: Record<number, Member> = {};
  for (const member of snapshot.members) members[member.user.id] = member;
  return {
    seq: snapshot.seq,
    board: snapshot.board,
    deleted: false,
    columns: indexById(snapshot.columns),
    cards: indexById(snapshot.cards),
    labels: indexById(snapshot.labels),
    members,
    comments: previous?.comments ?? {},
    gone: previous?.gone ?? {},
    buffered: (previous?.buffered ?? []).filter((event) => event.seq > snapshot.seq),
    gapAfter: null,
    pending: previous?.pending ?? [],
  };
}

function without<T>(map: IdMap<T>, id: number): IdMap<T> {
  if (!(id in map)) return map;
  const next = { ...map };
  delete next[id];
  return next;
}

/** Replace an object unless what is held is as new or newer (events are idempotent). */
function putVersioned<T extends { id: number; version: number }>(map: IdMap<T>, value: T): IdMap<T> {
  const current = map[value.id];
  if (current !== undefined && current.version >= value.version) return map;
  return { ...map, [value.id]: value };
}

/** Return whether the object was deleted (its id must not come back). */
export function isGone(state: BoardState, entity: string, id: number): boolean {
  return state.gone[`${entity}:${id}`] === true;
}

function markGone(state: BoardState, entity: string, id: number): BoardState["gone"] {
  return { ...state.gone, [`${entity}:${id}`]: true };
}

function acceptCard(state: BoardState, card: Card): BoardState {
  if (card.board !== state.board.id || isGone(state, "card", card.id)) return state;
  if (!(card.column in state.columns)) return state;
  const cards = putVersioned(state.cards, card);
  return cards === state.cards ? state : { ...state, cards };
}

function acceptColumn(state: BoardState, column: Column): BoardState {
  if (column.board !== state.board.id || isGone(state, "column", column.id)) return state;
  const columns = putVersioned(state.columns, column);
  return columns === state.columns ? state : { ...state, columns };
}

function acceptBoard(state: BoardState, board: Board): BoardState {
  if (board.id !== state.board.id || board.version <= state.board.version) return state;
  return { ...state, board };
}

function acceptComment(state: BoardState, comment: Comment): BoardState {
  const list = state.comments[comment.card];
  if (list === undefined || isGone(state, "comment", comment.id)) return state;
  const index = list.findIndex((item) => item.id === comment.id);
  const next = index === -1 ? [...list, comment] : list.map((item) => (item.id === comment.id ? comment : item));
  return { ...state, comments: { ...state.comments, [comment.card]: next } };
}

function removeCard(state: BoardState, id: number): BoardState {
  return { ...state, cards: without(state.cards, id), gone: markGone(state, "card", id) };
}

function removeColumn(state: BoardState, id: number): BoardState {
  const cards: Record<number, Card> = {};
  for (const card of Object.values(state.cards)) if (card.column !== id) cards[card.id] = card;
  return { ...state, columns: without(state.columns, id), cards, gone: markGone(state, "column", id) };
}

function removeLabel(state: BoardState, id: number): BoardState {
  // The server drops the label from its cards without a card event: mirror that.
  const cards: Record<number, Card> = {};
  for (const card of Object.values(state.cards)) {
    cards[card.id] = card.labels.includes(id) ? { ...card, labels: card.labels.filter((l) => l !== id) } : card;
  }
  return { ...state, labels: without(state.labels, id), cards, gone: markGone(state, "label", id) };
}

function removeComment(state: BoardState, id: number): BoardState {
  const comments: Record<number, readonly Comment[]> = {};
  for (const [card, list] of Object.entries(state.comments)) {
    comments[Number(card)] = list.some((c) => c.id === id) ? list.filter((c) => c.id !== id) : list;
  }
  return { ...state, comments, gone: markGone(state, "comment", id) };
}

function removeMember(state: BoardState, userId: number): BoardState {
  const cards: Record<number, Card> = {};
  for (const card of Object.values(state.cards)) {
    cards[card.id] = card.assignees.includes(userId)
      ? { ...card, assignees: card.assignees.filter((u) => u !== userId) }
      : card;
  }
  return { ...state, members: without(state.members, userId), cards };
}

function idOf(data: Record<string, unknown>): number {
  return typeof data.id === "number" ? data.id : Number(data.id);
}

/** Apply one event's effect, without looking at its seq. */
function applyEffect(state: BoardState, event: BoardEvent): BoardState {
  const data = event.data;
  switch (event.event) {
    case "board.updated":
    case "board.locked":
    case "board.unlocked":
      return acceptBoard(state, data as unknown as Board);
    case "board.deleted":
      return { ...state, deleted: true };
    case "column.created":
    case "column.updated":
    case "column.moved":
      return acceptColumn(state, data as unknown as Column);
    case "column.deleted":
      return removeColumn(state, idOf(data));
    case "card.created":
    case "card.updated":
    case "card.moved":
    case "card.archived":
      return acceptCard(state, data as unknown as Card);
    case "card.deleted":
      return removeCard(state, idOf(data));
    case "label.created":
    case "label.updated": {
      const label = data as unknown as Label;
      if (isGone(state, "label", label.id)) return state;
      return { ...state, labels: { ...state.labels, [label.id]: label } };
    }
    case "label.deleted":
      return removeLabel(state, idOf(data));
    case "comment.created":
    case "comment.updated":
    case "comment.hidden":
    case "comment.reacted":
      return acceptComment(state, data as unknown as Comment);
    case "comment.deleted":
      return removeComment(state, idOf(data));
    case "member.added":
    case "member.updated": {
      const member = data as unknown as Member;
      return { ...state, members: { ...state.members, [member.user.id]: member } };
    }
    case "member.removed": {
      const userId = typeof data.id === "number" ? data.id : ((data.user as { id?: number } | undefined)?.id ?? NaN);
      return removeMember(state, userId);
    }
    default:
      return state; // an event type this client does not know: nothing to show
  }
}

/**
 * Apply a board event in seq order.
 *
 * Duplicates (seq at or below the state's) are ignored. An event after a gap is
 * buffered and `gapAfter` is set; once the missing events are applied, the buffered
 * ones follow in order.
 */
export function applyEvent(state: BoardState, event: BoardEvent): BoardState {
  if (event.board !== state.board.id || event.seq <= state.seq) return state;
  if (event.seq > state.seq + 1) {
    if (state.buffered.some((item) => item.seq === event.seq)) return state;
    const buffered = [...state.buffered, event].sort((a, b) => a.seq - b.seq);
    return { ...state, buffered, gapAfter: state.seq };
  }
  let next: BoardState = { ...applyEffect(state, event), seq: event.seq };
  let buffered = next.buffered.filter((item) => item.seq > next.seq);
  while (buffered.length > 0 && buffered[0]!.seq === next.seq + 1) {
    const head = buffered[0]!;
    next = { ...applyEffect(next, head), seq: head.seq };
    buffered = buffered.slice(1);
  }
  return { ...next, buffered, gapAfter: buffered.length > 0 ? next.seq : null };
}

/** Apply several events (in any order: they are sorted by seq first). */
export function applyEvents(state: BoardState, events: readonly BoardEvent[]): BoardState {
  return [...events].sort((a, b) => a.seq - b.seq).reduce(applyEvent, state);
}

/** Record objects a REST answer returned (ignored when an event already brought newer ones). */
export function accept(state: BoardState, accepted: Accepted): BoardState {
  switch (accepted.type) {
    case "card":
      return acceptCard(state, accepted.value);
    case "column":
      return acceptColumn(state, accepted.value);
    case "board":
      return acceptBoard(state, accepted.value);
    case "label":
      return isGone(state, "label", accepted.value.id)
        ? state
        : { ...state, labels: { ...state.labels, [accepted.value.id]: accepted.value } };
    case "comment":
      return acceptComment(state, accepted.value);
    case "gone":
      switch (accepted.entity) {
        case "card":
          return removeCard(state, accepted.id);
        case "column":
          return removeColumn(state, accepted.id);
        case "label":
          return removeLabel(state, accepted.id);
        case "comment":
          return removeComment(state, accepted.id);
      }
  }
}

/** Load a card's comments into the state (events keep them current from then on). */
export function withComments(state: BoardState, card: number, comments: readonly Comment[]): BoardState {
  const visible = comments.filter((c) => !isGone(state, "comment", c.id));
  // Keep comments that events brought while the list was loading.
  const known = state.comments[card] ?? [];
  const ids = new Set(visible.map((c) => c.id));
  const merged = [...visible, ...known.filter((c) => !ids.has(c.id))];
  merged.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id));
  return { ...state, comments: { ...state.comments, [card]: merged } };
}

/** Add an optimistic change: it shows at once and until it is confirmed or rolled back. */
export function addPending(state: BoardState, op: PendingOp): BoardState {
  return { ...state, pending: [...state.pending.filter((p) => p.id !== op.id), op] };
}

/** Drop a refused optimistic change: the screen shows the confirmed state again. */
export function rollback(state: BoardState, opId: string): BoardState {
  if (!state.pending.some((op) => op.id === opId)) return state;
  return { ...state, pending: state.pending.filter((op) => op.id !== opId) };
}

/** Settle an optimistic change with what the server answered. */
export function confirm(state: BoardState, opId: string, accepted: readonly Accepted[] = []): BoardState {
  return rollback(accepted.reduce(accept, state), opId);
}
