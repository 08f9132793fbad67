/** What the screen shows: a board's confirmed state with the pending optimistic changes applied. */

import type { Board, Card, Column, Comment, Label, Member } from "../api/types";
import { byPosition } from "./order";
import { isGone, type BoardState, type Change } from "./reconcile";

/** The board as the user sees it: confirmed state plus pending changes, sorted. */
export interface BoardView {
  board: Board;
  deleted: boolean;
  seq: number;
  columns: Column[];
  cardsByColumn: Record<number, Card[]>;
  cards: Record<number, Card>;
  labels: Label[];
  labelsById: Record<number, Label>;
  members: Member[];
  membersById: Record<number, Member>;
  comments: Record<number, readonly Comment[]>;
  pendingCount: number;
}

function hasRealTwin(cards: Record<number, Card>, temp: Card, knownIds: readonly number[] | undefined): boolean {
  // The event of a card we created may arrive before our own POST's answer: hide the
  // stand-in as soon as a card that is new since then matches it.
  if (knownIds === undefined) return false;
  const known = new Set(knownIds);
  return Object.values(cards).some(
    (card) =>
      card.id > 0 &&
      !known.has(card.id) &&
      card.column === temp.column &&
      card.title === temp.title &&
      card.created_by === temp.created_by,
  );
}

function hasRealColumnTwin(columns: Record<number, Column>, temp: Column, knownIds: readonly number[] | undefined): boolean {
  if (knownIds === undefined) return false;
  const known = new Set(knownIds);
  return Object.values(columns).some((c) => c.id > 0 && !known.has(c.id) && c.title === temp.title);
}

function applyChange(
  view: {
    board: Board;
    columns: Record<number, Column>;
    cards: Record<number, Card>;
    labels: Record<number, Label>;
    comments: Record<number, readonly Comment[]>;
  },
  change: Change,
  confirmed: BoardState,
): void {
  switch (change.kind) {
    case "card.put":
      if (change.card.id < 0 && hasRealTwin(confirmed.cards, change.card, change.knownIds)) return;
      if (isGone(confirmed, "card", change.card.id)) return;
      view.cards[change.card.id] = change.card;
      return;
    case "card.patch": {
      const card = view.cards[change.id];
      if (card !== undefined) view.cards[change.id] = { ...card, ...change.patch };
      return;
    }
    case "card.remove":
      delete view.cards[change.id];
      return;
    case "column.put":
      if (change.column.id < 0 && hasRealColumnTwin(confirmed.columns, change.column, change.knownIds)) return;
      view.columns[change.column.id] = change.column;
      return;
    case "column.patch": {
      const column = view.columns[change.id];
      if (column !== undefined) view.columns[change.id] = { ...column, ...change.patch };
      return;
    }
    case "column.remove":
      delete view.columns[change.id];
      return;
    case "board.patch":
      view.board = { ...view.board, ...change.patch };
      return;
    case "label.put":
      view.labels[change.label.id] = change.label;
      return;
    case "label.remove":
      delete view.labels[change.id];
      return;
    case "comment.put": {
      const list = view.comments[change.comment.card] ?? [];
      if (change.comment.id < 0 && change.knownIds !== undefined) {
        const known = new Set(change.knownIds);
        const twin = (confirmed.comments[change.comment.card] ?? []).some(
          (c) => c.id > 0 && !known.has(c.id) && c.author.id === change.comment.author.id && c.body === change.comment.body,
        );
        if (twin) return;
      }
      view.comments[change.comment.card] = [...list.filter((c) => c.id !== change.comment.id), change.comment];
      return;
    }
    case "comment.patch": {
      const list = view.comments[change.card];
      if (list !== undefined) {
        view.comments[change.card] = list.map((c) => (c.id === change.id ? { ...c, ...change.patch } : c));
      }
      return;
    }
    case "comment.remove": {
      const list = view.comments[change.card];
      if (list !== undefined) view.comments[change.card] = list.filter((c) => c.id !== change.id);
      return;
    }
  }
}

/** Merge the confirmed state with the pending changes into what the screen shows. */
export function materialize(state: BoardState): BoardView {
  const work = {
    board: state.board,
    columns: { ...state.columns } as Record<number, Column>,
    cards: { ...state.cards } as Record<number, Card>,
    labels: { ...state.labels } as Record<number, Label>,
    comments: { ...state.comments } as Record<number, readonly Comment[]>,
  };
  for (const op of state.pending) for (const change of op.changes) applyChange(work, change, state);

  const columns = Object.values(work.columns).sort(byPosition);
  const cardsByColumn: Record<number, Card[]> = {};
  for (const column of columns) cardsByColumn[column.id] = [];
  const cards: Record<number, Card> = {};
  for (const card of Object.values(work.cards)) {
    if (card.archived) continue;
    const list = cardsByColumn[card.column];
    if (list === undefined) continue; // its column is gone
    list.push(card);
    cards[card.id] = card;
  }
  for (const list of Object.values(cardsByColumn)) list.sort(byPosition);
  const labels = Object.values(work.labels).sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
  const members = Object.values(state.members).sort((a, b) => a.user.username.localeCompare(b.user.username));
  const membersById: Record<number, Member> = {};
  for (const member of members) membersById[member.user.id] = member;
  return {
    board: work.board,
    deleted: state.deleted,
    seq: state.seq,
    columns,
    cardsByColumn,
    cards,
    labels,
    labelsById: work.labels,
    members,
    membersById,
    comments: work.comments,
    pendingCount: state.pending.length,
  };
}
