/**
 * The user's board actions: each shows its effect at once, sends the request, and
 * either settles with the server's answer or rolls back with a toast saying why.
 */

import { ApiError, errorMessage } from "../api/client";
import {
  boards as boardsApi,
  cards as cardsApi,
  columns as columnsApi,
  comments as commentsApi,
  labels as labelsApi,
  reports as reportsApi,
  type CardPatch,
  type Placement,
} from "../api/resources";
import { REACTIONS, type Card, type Column, type Comment, type ReactionGroup, type ReactionName, type UserBrief } from "../api/types";
import { toast } from "../app/toasts";
import { keyBetween } from "../realtime/order";
import type { Accepted, Change } from "../realtime/reconcile";
import { tempId, type BoardStore } from "../realtime/store";

function refusal(error: unknown, what: string): string {
  if (error instanceof ApiError) {
    switch (error.status) {
      case 412:
        return `${what}: someone else changed it meanwhile, so your change was undone. The latest version is shown.`;
      case 423:
        return `${what}: this board is locked, it is read-only.`;
      case 403:
        return `${what}: ${error.message}`;
      case 404:
        return `${what}: it no longer exists.`;
      case 0:
        return `${what}: could not reach the server, so the change was undone.`;
    }
  }
  return `${what}: ${errorMessage(error)}`;
}

function safeKey(a: string | null, b: string | null): string {
  try {
    return keyBetween(a, b);
  } catch {
    return (a ?? "") + "~";
  }
}

/** Return the server placement and a local key for inserting at `index` of `siblings`. */
export function placement<T extends { id: number; position: string }>(siblings: readonly T[], index: number): { place: Placement; position: string } {
  const prev = index > 0 ? siblings[index - 1] : undefined;
  const next = siblings[index];
  const position = safeKey(prev?.position ?? null, next?.position ?? null);
  // Anchors must be real (server) ids; local stand-ins have negative ids.
  const realPrev = siblings.slice(0, index).reverse().find((s) => s.id > 0);
  const realNext = siblings.slice(index).find((s) => s.id > 0);
  if (prev !== undefined && realPrev !== undefined) return { place: { after: realPrev.id }, position };
  if (realNext !== undefined) return { place: { before: realNext.id }, position };
  return { place: {}, position };
}

export class BoardActions {
  private readonly store: BoardStore;

  constructor(store: BoardStore) {
    this.store = store;
  }

  private async run(changes: Change[], request: () => Promise<Accepted[]>, what: string): Promise<boolean> {
    const op = this.store.optimistic(changes);
    try {
      op.confirm(await request());
      return true;
    } catch (error) {
      op.rollback();
      toast(refusal(error, what), "error");
      return false;
    }
  }

  private view() {
    const view = this.store.current;
    if (view === null) throw new Error("board not loaded");
    return view;
  }

  async renameBoard(title: string): Promise<boolean> {
    const view = this.view();
    const version = this.store.confirmedVersion("board", view.board.id);
    return this.run(
      [{ kind: "board.patch", patch: { title } }],
      async () => [{ type: "board", value: await boardsApi.update(view.board.id, { title }, version) }],
      "Could not rename the board",
    );
  }

  async createCard(columnId: number, title: string): Promise<boolean> {
    const view = this.view();
    const siblings = view.cardsByColumn[columnId] ?? [];
    const last = siblings.at(-1);
    const temp: Card = {
      id: tempId(),
      board: view.board.id,
      column: columnId,
      title,
      description: "",
      description_html: "",
      position: safeKey(last?.position ?? null, null),
      assignees: [],
      labels: [],
      due_at: null,
      archived: false,
      version: 0,
      created_by: this.store.me.id,
    };
    const knownIds = Object.keys(view.cards).map(Number);
    return this.run(
      [{ kind: "card.put", card: temp, knownIds }],
      async () => [{ type: "card", value: await cardsApi.create(columnId, title) }],
      "Could not add the card",
    );
  }

  /** Change a card's fields; `version` (default: the confirmed one) goes in `If-Match`. */
  async updateCard(card: Card, patch: CardPatch, what = "Could not save the card", version?: number): Promise<boolean> {
    version ??= this.store.confirmedVersion("card", card.id);
    return this.run(
      [{ kind: "card.patch", id: card.id, patch }],
      async () => [{ type: "card", value: await cardsApi.update(card.id, patch, version) }],
      what,
    );
  }

  /** Move a card to `index` of `columnId` (index among the column's other cards). */
  async moveCard(card: Card, columnId: number, index: number): Promise<boolean> {
    const view = this.view();
    const siblings = (view.cardsByColumn[columnId] ?? []).filter((c) => c.id !== card.id);
    const clamped = Math.max(0, Math.min(index, siblings.length));
    const current = view.cardsByColumn[card.column] ?? [];
    if (card.column === columnId && current.findIndex((c) => c.id === card.id) === clamped) return true;
    const { place, position } = placement(siblings, clamped);
    return this.run(
      [{ kind: "card.patch", id: card.id, patch: { column: columnId, position } }],
      async () => [{ type: "card", value: await cardsApi.move(card.id, columnId, place) }],
      `Could not move “${card.title}”`,
    );
  }

  async archiveCard(card: Card): Promise<boolean> {
    return this.updateCard(card, { archived: true }, `Could not archive “${card.title}”`);
  }

  async deleteCard(card: Card): Promise<boolean> {
    return this.run(
      [{ kind: "card.remove", id: card.id }],
      async () => {
        await cardsApi.remove(card.id);
        return [{ type: "gone", entity: "card", id: card.id }];
      },
      `Could not delete “${card.title}”`,
    );
  }

  async createColumn(title: string): Promise<boolean> {
    const view = this.view();
    const last = view.columns.at(-1);
    const temp: Column = {
      id: tempId(),
      board: view.board.id,
      title,
      position: safeKey(last?.position ?? null, null),
      version: 0,
    };
    const knownIds = view.columns.map((c) => c.id);
    return this.run(
      [{ kind: "column.put", column: temp, knownIds }],
      async () => [{ type: "column", value: await columnsApi.create(view.board.id, title) }],
      "Could not add the column",
    );
  }

  async renameColumn(column: Column, title: string): Promise<boolean> {
    const version = this.store.confirmedVersion("column", column.id);
    return this.run(
      [{ kind: "column.patch", id: column.id, patch: { title } }],
      async () => [{ type: "column", value: await columnsApi.rename(column.id, title, version) }],
      "Could not rename the column",
    );
  }

  async moveColumn(column: Column, index: number): Promise<boolean> {
    const view = this.view();
    const siblings = view.columns.filter((c) => c.id !== column.id);
    const clamped = Math.max(0, Math.min(index, siblings.length));
    if (view.columns.findIndex((c) => c.id === column.id) === clamped) return true;
    const { place, position } = placement(siblings, clamped);
    return this.run(
      [{ kind: "column.patch", id: column.id, patch: { position } }],
      async () => [{ type: "column", value: await columnsApi.move(column.id, place) }],
      `Could not move the column “${column.title}”`,
    );
  }

  async deleteColumn(column: Column): Promise<boolean> {
    return this.run(
      [{ kind: "column.remove", id: column.id }],
      async () => {
        await columnsApi.remove(column.id);
        return [{ type: "gone", entity: "column", id: column.id }];
      },
      `Could not delete the column “${column.title}”`,
    );
  }

  async createLabel(name: string, color: string): Promise<number | null> {
    try {
      const label = await labelsApi.create(this.view().board.id, name, color);
      this.store.accept([{ type: "label", value: label }]);
      return label.id;
    } catch (error) {
      toast(refusal(error, "Could not create the label"), "error");
      return null;
    }
  }

  async deleteLabel(id: number): Promise<boolean> {
    return this.run(
      [{ kind: "label.remove", id }],
      async () => {
        await labelsApi.remove(id);
        return [{ type: "gone", entity: "label", id }];
      },
      "Could not delete the label",
    );
  }

  async addComment(cardId: number, body: string): Promise<boolean> {
    const temp: Comment = {
      id: tempId(),
      card: cardId,
      author: { id: this.store.me.id, username: this.store.me.username },
      body,
      hidden: false,
      created_at: new Date().toISOString(),
      edited_at: null,
      reactions: [],
    };
    const knownIds = (this.view().comments[cardId] ?? []).map((c) => c.id);
    return this.run(
      [{ kind: "comment.put", comment: temp, knownIds }],
      async () => [{ type: "comment", value: await commentsApi.create(cardId, body) }],
      "Could not post the comment",
    );
  }

  async editComment(comment: Comment, body: string): Promise<boolean> {
    return this.run(
      [{ kind: "comment.patch", id: comment.id, card: comment.card, patch: { body, edited_at: new Date().toISOString() } }],
      async () => [{ type: "comment", value: await commentsApi.update(comment.id, body) }],
      "Could not edit the comment",
    );
  }

  /** Add or take back my `reaction` on a comment, shown at once and confirmed by the server. */
  async react(comment: Comment, reaction: ReactionName): Promise<boolean> {
    const me = { id: this.store.me.id, username: this.store.me.username };
    const active = !comment.reactions.some((g) => g.reaction === reaction && g.users.some((u) => u.id === me.id));
    return this.run(
      [{ kind: "comment.patch", id: comment.id, card: comment.card, patch: { reactions: withReaction(comment.reactions, reaction, me, active) } }],
      async () => [{ type: "comment", value: await commentsApi.react(comment.id, reaction, active) }],
      "Could not react to the comment",
    );
  }

  async deleteComment(comment: Comment): Promise<boolean> {
    return this.run(
      [{ kind: "comment.remove", id: comment.id, card: comment.card }],
      async () => {
        await commentsApi.remove(comment.id);
        return [{ type: "gone", entity: "comment", id: comment.id }];
      },
      "Could not delete the comment",
    );
  }

  async report(targetType: "comment" | "card", targetId: number, reason: string): Promise<boolean> {
    try {
      await reportsApi.create(targetType, targetId, reason);
      toast("Thanks: a moderator will review your report.", "success");
      return true;
    } catch (error) {
      toast(refusal(error, "Could not send the report"), "error");
      return false;
    }
  }
}

/** The reaction groups after `me` adds (`active`) or takes back `reaction`, in the fixed order. */
export function withReaction(groups: ReactionGroup[], reaction: ReactionName, me: UserBrief, active: boolean): ReactionGroup[] {
  const byName = new Map(groups.map((g) => [g.reaction, g]));
  const group = byName.get(reaction);
  const users = (group?.users ?? []).filter((u) => u.id !== me.id);
  if (active) users.push(me);
  if (users.length) byName.set(reaction, { reaction, emoji: REACTIONS[reaction], count: users.length, users });
  else byName.delete(reaction);
  return (Object.keys(REACTIONS) as ReactionName[]).flatMap((name) => byName.get(name) ?? []);
}
