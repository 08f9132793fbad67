import { describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/client";
import type { BoardEvent, Card, Snapshot } from "../api/types";
import type { EventName } from "./protocol";
import type { BoardHandlers, Connection } from "./connection";
import { BoardStore, mergePresence } from "./store";

function card(id: number, column: number, title: string, version = 1): Card {
  return {
    id,
    board: 1,
    column,
    title,
    description: "",
    description_html: "",
    position: `a${id}`,
    assignees: [],
    labels: [],
    due_at: null,
    archived: false,
    version,
    created_by: 1,
  };
}

function snapshot(seq: number, cards: Card[]): Snapshot {
  return {
    seq,
    board: { id: 1, workspace: 1, title: "B", description: "", seq, locked: false, version: 1 },
    columns: [
      { id: 10, board: 1, title: "To do", position: "a0", version: 1 },
      { id: 11, board: 1, title: "Done", position: "a1", version: 1 },
    ],
    cards,
    labels: [],
    members: [
      { user: { id: 1, username: "alice" }, role: "owner" },
      { user: { id: 2, username: "bob" }, role: "member" },
    ],
  };
}

function event(seq: number, name: EventName, data: object, actor = { id: 2, username: "bob" }): BoardEvent {
  return { board: 1, seq, event: name, data: data as Record<string, unknown>, actor, ts: "2025-01-01T00:00:00Z" };
}

function setup(snapshots: Snapshot[]) {
  let handlers: BoardHandlers | null = null;
  const channel = { reset: vi.fn(), setPresence: vi.fn(), close: vi.fn() };
  const connection = {
    watch: vi.fn((_board: number, _seq: number, h: BoardHandlers) => {
      handlers = h;
      return channel;
    }),
  } as unknown as Connection;
  const announce = vi.fn();
  const fetchSnapshot = vi.fn(async () => snapshots.shift()!);
  const store = new BoardStore(1, {
    me: { id: 1, username: "alice", email: "" },
    connection,
    fetchSnapshot,
    fetchEvents: async () => ({ results: [], seq: 0, has_more: false }),
    fetchComments: async () => [],
    announce,
  });
  return { store, channel, connection, announce, fetchSnapshot, handlers: () => handlers! };
}

describe("BoardStore", () => {
  it("loads the snapshot, follows from its seq and announces others' changes", async () => {
    const t = setup([snapshot(4, [card(1, 10, "Fix login")])]);
    await t.store.start();
    expect(t.connection.watch).toHaveBeenCalledWith(1, 4, expect.anything());
    expect(t.store.getSnapshot().load).toBe("ready");

    t.handlers().onEvent(event(5, "card.moved", card(1, 11, "Fix login", 2)));
    expect(t.store.current!.cardsByColumn[11]!.map((c) => c.title)).toEqual(["Fix login"]);
    expect(t.announce).toHaveBeenCalledWith("bob moved “Fix login” from “To do” to “Done”");
    expect(t.store.getSnapshot().activity.at(-1)!.event.seq).toBe(5);
    expect(t.store.getSnapshot().flash[1]).toBe(5);

    t.handlers().onEvent(event(6, "card.updated", card(1, 11, "Fix logout", 3), { id: 1, username: "alice" }));
    expect(t.announce).toHaveBeenCalledTimes(1);
  });

  it("rolls back a refused optimistic change", async () => {
    const t = setup([snapshot(4, [card(1, 10, "Fix login")])]);
    await t.store.start();
    const op = t.store.optimistic([{ kind: "card.patch", id: 1, patch: { title: "mine" } }]);
    expect(t.store.current!.cards[1]!.title).toBe("mine");
    op.rollback();
    expect(t.store.current!.cards[1]!.title).toBe("Fix login");
  });

  it("reloads the snapshot on resync and continues from its seq", async () => {
    const t = setup([snapshot(4, [card(1, 10, "old")]), snapshot(40, [card(1, 10, "new", 9), card(2, 11, "other")])]);
    await t.store.start();
    t.handlers().onResync();
    await vi.waitFor(() => expect(t.channel.reset).toHaveBeenCalledWith(40));
    expect(t.store.current!.cards[1]!.title).toBe("new");
    expect(t.store.current!.cards[2]).toBeDefined();
  });

  it("shows that the user was removed from the workspace", async () => {
    const t = setup([snapshot(4, [])]);
    await t.store.start();
    t.handlers().onEvent(event(5, "member.removed", { id: 1 }, { id: 2, username: "bob" }));
    t.handlers().onError?.("forbidden", "You are no longer a member.");
    expect(t.store.getSnapshot().load).toBe("removed");
  });

  it("reports a board the user cannot see", async () => {
    const t = setup([]);
    t.fetchSnapshot.mockRejectedValueOnce(new ApiError(404, "not_found", "Board not found."));
    await t.store.start();
    expect(t.store.getSnapshot().load).toBe("not_found");
  });
});

describe("mergePresence", () => {
  it("keeps one entry per user, preferring an open card", () => {
    const merged = mergePresence([
      { user: { id: 2, username: "bob" }, card: null, state: "viewing" },
      { user: { id: 1, username: "alice" }, card: null, state: "viewing" },
      { user: { id: 2, username: "bob" }, card: 7, state: "viewing" },
    ]);
    expect(merged.map((m) => [m.user.username, m.card])).toEqual([
      ["alice", null],
      ["bob", 7],
    ]);
  });
});
