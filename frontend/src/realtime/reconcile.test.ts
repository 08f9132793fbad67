import { describe, expect, it } from "vitest";

import type { Board, BoardEvent, Card, Column, Comment, Snapshot } from "../api/types";
import type { EventName } from "./protocol";
import {
  accept,
  addPending,
  applyEvent,
  applyEvents,
  confirm,
  fromSnapshot,
  rollback,
  withComments,
  type BoardState,
} from "./reconcile";
import { keyBetween } from "./order";
import { materialize } from "./view";

const board: Board = { id: 1, workspace: 1, title: "Roadmap", description: "", seq: 3, locked: false, version: 1 };

function column(id: number, position: string, extra: Partial<Column> = {}): Column {
  return { id, board: 1, title: `Column ${id}`, position, version: 1, ...extra };
}

function card(id: number, columnId: number, position: string, extra: Partial<Card> = {}): Card {
  return {
    id,
    board: 1,
    column: columnId,
    title: `Card ${id}`,
    description: "",
    description_html: "",
    position,
    assignees: [],
    labels: [],
    due_at: null,
    archived: false,
    version: 1,
    created_by: 7,
    ...extra,
  };
}

function snapshot(): Snapshot {
  return {
    seq: 3,
    board,
    columns: [column(10, "a1"), column(11, "a0")],
    cards: [card(100, 10, "a0"), card(101, 10, "a1"), card(102, 11, "a0")],
    labels: [{ id: 5, board: 1, name: "bug", color: "#d33" }],
    members: [
      { user: { id: 7, username: "alice" }, role: "owner" },
      { user: { id: 8, username: "bob" }, role: "member" },
    ],
  };
}

function event(seq: number, name: EventName, data: Record<string, unknown>): BoardEvent {
  return { board: 1, seq, event: name, data, actor: { id: 8, username: "bob" }, ts: "2025-01-01T00:00:00Z" };
}

function initial(): BoardState {
  return fromSnapshot(snapshot());
}

function titles(state: BoardState, columnId: number): string[] {
  return (materialize(state).cardsByColumn[columnId] ?? []).map((c) => c.title);
}

describe("snapshot", () => {
  it("orders columns and cards by position with plain string comparison", () => {
    const view = materialize(initial());
    expect(view.columns.map((c) => c.id)).toEqual([11, 10]);
    expect(view.cardsByColumn[10]!.map((c) => c.id)).toEqual([100, 101]);
    // Base-62 keys: "Z" < "a" in code-unit order (not in locale order).
    let state = applyEvent(initial(), event(4, "card.moved", card(102, 10, "Z", { version: 2 }) as never));
    expect(materialize(state).cardsByColumn[10]!.map((c) => c.id)).toEqual([102, 100, 101]);
    state = applyEvent(state, event(5, "card.moved", card(102, 10, "a0V", { version: 3 }) as never));
    expect(materialize(state).cardsByColumn[10]!.map((c) => c.id)).toEqual([100, 102, 101]);
  });
});

describe("applyEvent: order, duplicates and gaps", () => {
  it("applies the next event and advances seq", () => {
    const state = applyEvent(initial(), event(4, "card.created", card(103, 11, "a1", { title: "New" }) as never));
    expect(state.seq).toBe(4);
    expect(titles(state, 11)).toEqual(["Card 102", "New"]);
  });

  it("ignores events already applied or included in the snapshot", () => {
    const created = event(4, "card.created", card(103, 11, "a1") as never);
    const once = applyEvent(initial(), created);
    const twice = applyEvent(once, created);
    expect(twice).toBe(once);
    const old = applyEvent(once, event(2, "card.deleted", { id: 100 }));
    expect(old).toBe(once);
    expect(materialize(old).cards[100]).toBeDefined();
  });

  it("buffers an event after a gap, flags the gap, then drains in order", () => {
    let state = applyEvent(initial(), event(6, "card.updated", card(100, 10, "a0", { title: "v3", version: 3 }) as never));
    expect(state.seq).toBe(3);
    expect(state.gapAfter).toBe(3);
    expect(titles(state, 10)[0]).toBe("Card 100");

    state = applyEvent(state, event(5, "card.updated", card(100, 10, "a0", { title: "v2", version: 2 }) as never));
    expect(state.seq).toBe(3);
    expect(state.gapAfter).toBe(3);

    state = applyEvent(state, event(4, "card.created", card(103, 11, "a1") as never));
    expect(state.seq).toBe(6);
    expect(state.gapAfter).toBeNull();
    expect(state.buffered).toEqual([]);
    expect(titles(state, 10)[0]).toBe("v3");
    expect(materialize(state).cards[103]).toBeDefined();
  });

  it("converges whatever the arrival order", () => {
    const events = [
      event(4, "card.created", card(103, 11, "a1", { title: "A" }) as never),
      event(5, "card.moved", card(103, 10, "a2", { title: "A", version: 2 }) as never),
      event(6, "card.updated", card(103, 10, "a2", { title: "B", version: 3 }) as never),
      event(7, "column.updated", column(11, "a0", { title: "Doing", version: 2 }) as never),
      event(8, "card.archived", card(101, 10, "a1", { archived: true, version: 2 }) as never),
    ];
    const inOrder = applyEvents(initial(), events);
    const shuffled = [events[3]!, events[0]!, events[4]!, events[2]!, events[1]!, events[0]!].reduce(applyEvent, initial());
    expect(materialize(shuffled)).toEqual(materialize(inOrder));
    expect(shuffled.seq).toBe(8);
    expect(titles(shuffled, 10)).toEqual(["Card 100", "B"]);
    expect(materialize(shuffled).columns[0]!.title).toBe("Doing");
  });

  it("ignores events of other boards", () => {
    const state = initial();
    expect(applyEvent(state, { ...event(4, "card.deleted", { id: 100 }), board: 2 })).toBe(state);
  });
});

describe("versions", () => {
  it("never lets an older version replace a newer one", () => {
    let state = accept(initial(), { type: "card", value: card(100, 10, "a0", { title: "mine", version: 3 }) });
    state = applyEvent(state, event(4, "card.updated", card(100, 10, "a0", { title: "stale", version: 2 }) as never));
    expect(state.seq).toBe(4);
    expect(materialize(state).cards[100]!.title).toBe("mine");
    state = applyEvent(state, event(5, "card.updated", card(100, 10, "a0", { title: "newer", version: 4 }) as never));
    expect(materialize(state).cards[100]!.title).toBe("newer");
  });

  it("a late REST answer does not resurrect a deleted card", () => {
    let state = applyEvent(initial(), event(4, "card.deleted", { id: 100 }));
    state = accept(state, { type: "card", value: card(100, 10, "a0", { version: 9 }) });
    expect(materialize(state).cards[100]).toBeUndefined();
  });

  it("hides archived cards and shows them again when restored", () => {
    let state = applyEvent(initial(), event(4, "card.archived", card(100, 10, "a0", { archived: true, version: 2 }) as never));
    expect(materialize(state).cards[100]).toBeUndefined();
    state = applyEvent(state, event(5, "card.updated", card(100, 10, "a0", { archived: false, version: 3 }) as never));
    expect(materialize(state).cards[100]).toBeDefined();
  });

  it("removes a deleted column with its cards, and a deleted label from cards", () => {
    let state = accept(initial(), { type: "card", value: card(102, 11, "a0", { labels: [5], version: 2 }) });
    state = applyEvent(state, event(4, "label.deleted", { id: 5 }));
    expect(materialize(state).cards[102]!.labels).toEqual([]);
    state = applyEvent(state, event(5, "column.deleted", { id: 11 }));
    const view = materialize(state);
    expect(view.columns.map((c) => c.id)).toEqual([10]);
    expect(view.cards[102]).toBeUndefined();
  });

  it("tracks lock, members and board deletion", () => {
    let state = applyEvent(initial(), event(4, "board.locked", { ...board, locked: true, version: 2 }));
    expect(materialize(state).board.locked).toBe(true);
    state = applyEvent(state, event(5, "member.updated", { user: { id: 8, username: "bob" }, role: "viewer" }));
    expect(materialize(state).membersById[8]!.role).toBe("viewer");
    state = applyEvent(state, event(6, "member.removed", { id: 8 }));
    expect(materialize(state).membersById[8]).toBeUndefined();
    state = applyEvent(state, event(7, "board.deleted", { id: 1 }));
    expect(materialize(state).deleted).toBe(true);
  });
});

describe("comments", () => {
  const comment = (id: number, body: string, extra: Partial<Comment> = {}): Comment => ({
    id,
    card: 100,
    author: { id: 8, username: "bob" },
    body,
    hidden: false,
    created_at: `2025-01-01T00:00:0${id}Z`,
    edited_at: null,
    reactions: [],
    ...extra,
  });

  it("shows a comment's reactions as they change", () => {
    let state = withComments(initial(), 100, [comment(1, "first")]);
    const reactions = [{ reaction: "heart" as const, emoji: "\u2764\uFE0F", count: 1, users: [{ id: 8, username: "bob" }] }];
    state = applyEvent(state, event(4, "comment.reacted", comment(1, "first", { reactions }) as never));
    expect(materialize(state).comments[100]?.[0]?.reactions).toEqual(reactions);
  });

  it("keeps loaded comment lists current and shows hidden ones as hidden", () => {
    let state = withComments(initial(), 100, [comment(1, "first")]);
    state = applyEvent(state, event(4, "comment.created", comment(2, "second") as never));
    state = applyEvent(state, event(5, "comment.hidden", comment(1, "", { hidden: true }) as never));
    state = applyEvent(state, event(6, "comment.created", comment(2, "second") as never)); // duplicate seq-wise new
    const list = materialize(state).comments[100]!;
    expect(list.map((c) => [c.id, c.body, c.hidden])).toEqual([
      [1, "", true],
      [2, "second", false],
    ]);
    state = applyEvent(state, event(7, "comment.deleted", { id: 2 }));
    expect(materialize(state).comments[100]!.map((c) => c.id)).toEqual([1]);
  });

  it("ignores comments of cards whose comments are not loaded", () => {
    const state = applyEvent(initial(), event(4, "comment.created", comment(2, "x") as never));
    expect(state.comments[100]).toBeUndefined();
    expect(state.seq).toBe(4);
  });
});

describe("optimistic changes", () => {
  it("shows a pending move at once and rolls it back on refusal", () => {
    const base = initial();
    const moved = addPending(base, {
      id: "op1",
      changes: [{ kind: "card.patch", id: 100, patch: { column: 11, position: keyBetween("a0", null) } }],
    });
    expect(titles(moved, 11)).toEqual(["Card 102", "Card 100"]);
    expect(titles(moved, 10)).toEqual(["Card 101"]);
    const back = rollback(moved, "op1");
    expect(materialize(back)).toEqual(materialize(base));
  });

  it("keeps remote events applied underneath a pending change across its rollback", () => {
    let state = addPending(initial(), {
      id: "op1",
      changes: [{ kind: "card.patch", id: 100, patch: { title: "my title" } }],
    });
    state = applyEvent(state, event(4, "card.created", card(103, 11, "a1", { title: "remote" }) as never));
    expect(materialize(state).cards[100]!.title).toBe("my title");
    state = rollback(state, "op1");
    expect(materialize(state).cards[100]!.title).toBe("Card 100");
    expect(titles(state, 11)).toEqual(["Card 102", "remote"]);
  });

  it("confirms with the server's object, and the later event is a no-op", () => {
    let state = addPending(initial(), {
      id: "op1",
      changes: [{ kind: "card.patch", id: 100, patch: { title: "renamed" } }],
    });
    const saved = card(100, 10, "a0", { title: "renamed", version: 2 });
    state = confirm(state, "op1", [{ type: "card", value: saved }]);
    expect(state.pending).toEqual([]);
    expect(materialize(state).cards[100]!.title).toBe("renamed");
    const after = applyEvent(state, event(4, "card.updated", saved as never));
    expect(after.cards).toBe(state.cards);
    expect(after.seq).toBe(4);
  });

  it("shows a created card once, even when its event beats the POST answer", () => {
    const known = Object.keys(initial().cards).map(Number);
    let state = addPending(initial(), {
      id: "op1",
      changes: [{ kind: "card.put", card: card(-1, 11, keyBetween("a0", null), { title: "Fix login" }), knownIds: known }],
    });
    expect(titles(state, 11)).toEqual(["Card 102", "Fix login"]);
    state = applyEvent(state, event(4, "card.created", card(103, 11, "a1", { title: "Fix login" }) as never));
    expect(titles(state, 11)).toEqual(["Card 102", "Fix login"]);
    state = confirm(state, "op1", [{ type: "card", value: card(103, 11, "a1", { title: "Fix login" }) }]);
    expect(materialize(state).cardsByColumn[11]!.map((c) => c.id)).toEqual([102, 103]);
  });

  it("rolls back a refused create and a refused delete", () => {
    let state = addPending(initial(), { id: "c", changes: [{ kind: "column.put", column: column(-2, "a2", { title: "QA" }) }] });
    state = addPending(state, { id: "d", changes: [{ kind: "card.remove", id: 101 }] });
    expect(materialize(state).columns.map((c) => c.title)).toContain("QA");
    expect(materialize(state).cards[101]).toBeUndefined();
    state = rollback(rollback(state, "c"), "d");
    expect(materialize(state).columns.map((c) => c.title)).not.toContain("QA");
    expect(materialize(state).cards[101]).toBeDefined();
  });

  it("keeps pending changes across a snapshot reload (resync)", () => {
    const state = addPending(initial(), { id: "op", changes: [{ kind: "card.patch", id: 100, patch: { title: "mine" } }] });
    const reloaded = fromSnapshot({ ...snapshot(), seq: 9 }, state);
    expect(reloaded.seq).toBe(9);
    expect(materialize(reloaded).cards[100]!.title).toBe("mine");
  });
});

describe("keyBetween", () => {
  it("returns keys strictly between its bounds", () => {
    const pairs: [string | null, string | null][] = [
      [null, null],
      ["a0", null],
      [null, "a0"],
      ["a0", "a1"],
      ["a0", "a0V"],
      ["Zz", "a0"],
      ["a0", "b"],
      [null, "0"],
    ];
    for (const [a, b] of pairs) {
      const key = keyBetween(a, b);
      if (a !== null) expect(a < key).toBe(true);
      if (b !== null) expect(key < b).toBe(true);
    }
  });
});
