// @vitest-environment jsdom
import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Me, Snapshot } from "../api/types";
import { SessionContext, type Session } from "../app/session";
import type { Connection } from "../realtime/connection";
import { BoardScreen } from "./BoardScreen";

const SNAPSHOT: Snapshot = {
  seq: 3,
  board: { id: 1, workspace: 1, title: "Roadmap", description: "", seq: 3, locked: false, version: 1 },
  columns: [{ id: 10, board: 1, title: "To do", position: "a0", version: 1 }],
  cards: [],
  labels: [],
  members: [{ user: { id: 1, username: "alice" }, role: "owner" }],
};

vi.mock("../api/resources", () => ({
  boards: {
    snapshot: async () => SNAPSHOT,
    events: async () => ({ results: [], seq: 3, has_more: false }),
  },
  comments: { list: async () => [] },
  workspaces: { get: async () => ({ id: 1, name: "Acme", role: "owner" }) },
}));

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root | null = null;

/** Render the board at `/b/1/activity` (the panel asked for) for a user with these flags. */
async function renderBoard(features: Me["features"]): Promise<HTMLElement> {
  const connection = {
    watch: () => ({ reset: vi.fn(), setPresence: vi.fn(), close: vi.fn() }),
  } as unknown as Connection;
  const session: Session = {
    me: { id: 1, username: "alice", email: "", features },
    connection,
    logout: async () => {},
  };
  const container = document.createElement("div");
  document.body.append(container);
  root = createRoot(container);
  await act(async () => {
    root!.render(
      <SessionContext.Provider value={session}>
        <BoardScreen id={1} card={null} activity={true} />
      </SessionContext.Provider>,
    );
  });
  await vi.waitFor(() => expect(container.querySelector('[data-testid="board"]')).not.toBeNull());
  return container;
}

afterEach(() => {
  act(() => root?.unmount());
  root = null;
  document.body.innerHTML = "";
});

describe("BoardScreen and the activity_panel flag", () => {
  it("shows the Activity toggle and panel when the flag is on", async () => {
    const page = await renderBoard({ activity_panel: true, collaborative_descriptions: false });
    expect(page.querySelector('[data-testid="activity-toggle"]')?.getAttribute("aria-pressed")).toBe("true");
    expect(page.querySelector('[data-testid="activity-panel"]')).not.toBeNull();
    expect(page.querySelector(".board-page")?.classList.contains("with-activity")).toBe(true);
  });

  it("hides both when the flag is off, even on the activity route", async () => {
    const page = await renderBoard({ activity_panel: false, collaborative_descriptions: false });
    expect(page.querySelector('[data-testid="board-canvas"]')).not.toBeNull();
    expect(page.querySelector('[data-testid="activity-toggle"]')).toBeNull();
    expect(page.querySelector('[data-testid="activity-panel"]')).toBeNull();
    expect(page.querySelector(".board-page")?.classList.contains("with-activity")).toBe(false);
  });

  it("hides both when the server sent no flags", async () => {
    const page = await renderBoard(undefined);
    expect(page.querySelector('[data-testid="activity-toggle"]')).toBeNull();
    expect(page.querySelector('[data-testid="activity-panel"]')).toBeNull();
  });
});
