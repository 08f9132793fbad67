import { describe, expect, it } from "vitest";

import type { AppNotification } from "../api/types";
import { parseServerMessage } from "../realtime/protocol";
import { describeNotification, splitMentions } from "./notifications";

const base: AppNotification = {
  id: 1,
  board: 2,
  card: 3,
  comment: 4,
  event: "comment.created",
  seq: 9,
  reason: "mentioned",
  actor: { id: 5, username: "bob" },
  card_title: "Launch",
  created_at: "2026-12-03T10:00:00Z",
  read_at: null,
  unread: true,
};

describe("notifications", () => {
  it("says who did what to which card", () => {
    expect(describeNotification(base)).toBe("bob mentioned you on “Launch”");
    expect(describeNotification({ ...base, reason: "assigned", actor: null })).toBe("Someone assigned you to “Launch”");
  });

  it("parses the socket message and refuses a malformed one", () => {
    const message = parseServerMessage(JSON.stringify({ type: "notification", notification: base }));
    expect(message).toEqual({ type: "notification", notification: base });
    expect(parseServerMessage(JSON.stringify({ type: "notification", notification: "x" }))).toBeNull();
  });
});

describe("splitMentions", () => {
  it("marks @names but not e-mail addresses", () => {
    expect(splitMentions("Hi @bob, mail a@b.example.")).toEqual([
      { text: "Hi ", mention: false },
      { text: "@bob", mention: true },
      { text: ", mail a@b.example.", mention: false },
    ]);
  });
});
