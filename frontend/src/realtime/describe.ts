/** Plain-language sentences for board events, for the activity feed and screen readers. */

import type { BoardEvent, Card, Column, Comment, Label, Member } from "../api/types";

/** The confirmed objects an event is described against (a `BoardState` is one). */
export interface BoardLookup {
  cards: Readonly<Record<number, Card>>;
  columns: Readonly<Record<number, Column>>;
  members: Readonly<Record<number, Member>>;
}

function quote(text: string | undefined): string {
  const value = (text ?? "").trim();
  const short = value.length > 60 ? `${value.slice(0, 57)}…` : value;
  return `“${short}”`;
}

/**
 * Describe what an event did, naming columns and cards as they were on the board.
 *
 * `before` is the confirmed state just before the event (null for history, whose
 * earlier states are unknown); `after` names things the event itself brought.
 */
export function describeEvent(event: BoardEvent, before: BoardLookup | null, after: BoardLookup | null = before): string {
  const who = event.actor?.username ?? "Someone";
  const data = event.data;
  const columnTitle = (id: unknown): string => {
    const key = Number(id);
    const column = after?.columns[key] ?? before?.columns[key];
    return column ? quote(column.title) : "another column";
  };
  const cardTitle = (id: unknown): string => {
    const key = Number(id);
    const card = before?.cards[key] ?? after?.cards[key];
    return card ? quote(card.title) : "a card";
  };
  switch (event.event) {
    case "card.created": {
      const card = data as unknown as Card;
      return `${who} added ${quote(card.title)} to ${columnTitle(card.column)}`;
    }
    case "card.moved": {
      const card = data as unknown as Card;
      const previous = before?.cards[card.id];
      if (previous && previous.column === card.column) return `${who} reordered ${quote(card.title)} in ${columnTitle(card.column)}`;
      if (previous) return `${who} moved ${quote(card.title)} from ${columnTitle(previous.column)} to ${columnTitle(card.column)}`;
      return `${who} moved ${quote(card.title)} to ${columnTitle(card.column)}`;
    }
    case "card.updated": {
      const card = data as unknown as Card;
      const previous = before?.cards[card.id];
      if (previous && previous.title !== card.title) return `${who} renamed ${quote(previous.title)} to ${quote(card.title)}`;
      if (previous?.archived && !card.archived) return `${who} restored ${quote(card.title)}`;
      if (previous && previous.description !== card.description) return `${who} edited the description of ${quote(card.title)}`;
      if (previous && previous.due_at !== card.due_at) {
        return card.due_at ? `${who} set a due date on ${quote(card.title)}` : `${who} removed the due date of ${quote(card.title)}`;
      }
      if (previous && previous.labels.join() !== card.labels.join()) return `${who} changed the labels of ${quote(card.title)}`;
      if (previous && previous.assignees.join() !== card.assignees.join()) return `${who} changed who is on ${quote(card.title)}`;
      return `${who} updated ${quote(card.title)}`;
    }
    case "card.archived":
      return `${who} archived ${quote((data as unknown as Card).title)}`;
    case "card.deleted":
      return `${who} deleted ${cardTitle(data.id)}`;
    case "column.created":
      return `${who} added the column ${quote((data as unknown as Column).title)}`;
    case "column.updated": {
      const column = data as unknown as Column;
      const previous = before?.columns[column.id];
      return previous && previous.title !== column.title
        ? `${who} renamed the column ${quote(previous.title)} to ${quote(column.title)}`
        : `${who} updated the column ${quote(column.title)}`;
    }
    case "column.moved":
      return `${who} moved the column ${quote((data as unknown as Column).title)}`;
    case "column.deleted":
      return `${who} deleted the column ${columnTitle(data.id)}`;
    case "comment.created":
      return `${who} commented on ${cardTitle((data as unknown as Comment).card)}`;
    case "comment.updated":
      return `${who} edited a comment on ${cardTitle((data as unknown as Comment).card)}`;
    case "comment.deleted":
      return `${who} deleted a comment`;
    case "comment.reacted":
      return `${who} reacted to a comment on ${cardTitle((data as unknown as Comment).card)}`;
    case "comment.hidden":
      return `A moderator hid a comment on ${cardTitle((data as unknown as Comment).card)}`;
    case "board.updated":
      return `${who} updated the board`;
    case "board.locked":
      return `${who} locked the board: it is read-only now`;
    case "board.unlocked":
      return `${who} unlocked the board`;
    case "board.deleted":
      return `${who} deleted the board`;
    case "member.added": {
      const member = data as unknown as Member;
      return `${who} added ${member.user?.username ?? "someone"} as ${member.role}`;
    }
    case "member.updated": {
      const member = data as unknown as Member;
      return `${who} made ${member.user?.username ?? "someone"} ${member.role}`;
    }
    case "member.removed": {
      const member = before?.members[Number(data.id)];
      return `${who} removed ${member?.user.username ?? "a member"}`;
    }
    case "label.created":
      return `${who} created the label ${quote((data as unknown as Label).name)}`;
    case "label.updated":
      return `${who} updated the label ${quote((data as unknown as Label).name)}`;
    case "label.deleted":
      return `${who} deleted a label`;
    default:
      return `${who} changed the board`;
  }
}
