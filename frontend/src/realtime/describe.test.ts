import { describe, expect, it } from "vitest";

import type { BoardEvent, Card } from "../api/types";
import type { EventName } from "./protocol";
import { describeEvent, type BoardLookup } from "./describe";

const card: Card = {
  id: 1,
  board: 1,
  column: 10,
  title: "Fix login",
  description: "",
  description_html: "",
  position: "a0",
  assignees: [],
  labels: [],
  due_at: null,
  archived: false,
  version: 1,
  created_by: 1,
};

const lookup: BoardLookup = {
  cards: { 1: card },
  columns: {
    10: { id: 10, board: 1, title: "To do", position: "a0", version: 1 },
    11: { id: 11, board: 1, title: "Done", position: "a1", version: 1 },
  },
  members: { 2: { user: { id: 2, username: "bob" }, role: "member" } },
};

function event(name: EventName, data: Record<string, unknown>): BoardEvent {
  return { board: 1, seq: 5, event: name, data, actor: { id: 2, username: "bob" }, ts: "2025-01-01T00:00:00Z" };
}

describe("describeEvent", () => {
  it("names the card and both columns of a move", () => {
    const moved = { ...card, column: 11, version: 2 };
    expect(describeEvent(event("card.moved", moved as never), lookup)).toBe("bob moved “Fix login” from “To do” to “Done”");
    expect(describeEvent(event("card.moved", moved as never), null, lookup)).toBe("bob moved “Fix login” to “Done”");
  });

  it("describes renames, archives, deletes and removed members", () => {
    expect(describeEvent(event("card.updated", { ...card, title: "Fix logout", version: 2 } as never), lookup)).toBe(
      "bob renamed “Fix login” to “Fix logout”",
    );
    expect(describeEvent(event("card.archived", { ...card, archived: true } as never), lookup)).toBe("bob archived “Fix login”");
    expect(describeEvent(event("card.deleted", { id: 1 }), lookup)).toBe("bob deleted “Fix login”");
    expect(describeEvent(event("member.removed", { id: 2 }), lookup)).toBe("bob removed bob");
    expect(describeEvent(event("comment.hidden", { id: 3, card: 1 }), lookup)).toBe("A moderator hid a comment on “Fix login”");
  });
});
