import { describe, expect, it } from "vitest";

import type { ReactionGroup } from "../api/types";
import { withReaction } from "./actions";

const ann = { id: 1, username: "ann" };
const bob = { id: 2, username: "bob" };

describe("withReaction", () => {
  it("adds a group in the fixed order and counts each user once", () => {
    const heart: ReactionGroup = { reaction: "heart", emoji: "\u2764\uFE0F", count: 1, users: [bob] };
    const groups = withReaction([heart], "+1", ann, true);
    expect(groups.map((g) => g.reaction)).toEqual(["+1", "heart"]);
    const again = withReaction(withReaction(groups, "heart", ann, true), "heart", ann, true);
    expect(again[1]).toMatchObject({ reaction: "heart", count: 2, users: [bob, ann] });
  });

  it("takes a reaction back, and drops a group nobody holds any more", () => {
    const groups = withReaction([], "rocket", ann, true);
    expect(withReaction(groups, "rocket", ann, false)).toEqual([]);
    expect(withReaction(groups, "rocket", bob, false)).toEqual(groups);
  });
});
