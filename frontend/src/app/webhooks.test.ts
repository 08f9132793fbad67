import { describe, expect, it } from "vitest";

import type { WebhookAttempt } from "../api/types";
import { EVENT_NAMES } from "../realtime/protocol";
import { attemptsText, eventTypeGroups, eventTypesText, lastAttemptText, toggleEventType } from "./webhooks";

const attempt: WebhookAttempt = {
  started_at: "2026-12-03T10:00:00Z",
  duration_ms: 85,
  status_code: 204,
  response_excerpt: "",
  error: "",
  succeeded: true,
};

describe("webhooks", () => {
  it("words the last attempt of a delivery", () => {
    expect(lastAttemptText({ attempt_log: [] })).toBe("not tried yet");
    expect(lastAttemptText({ attempt_log: [attempt] })).toBe("HTTP 204 in 85 ms");
    const failed = { ...attempt, status_code: 500, duration_ms: 12, response_excerpt: " Oops \n", succeeded: false };
    expect(lastAttemptText({ attempt_log: [attempt, failed] })).toBe("HTTP 500 in 12 ms: Oops");
    const refused = { ...attempt, status_code: null, error: "Connection refused", succeeded: false };
    expect(lastAttemptText({ attempt_log: [refused] })).toBe("Connection refused");
  });

  it("counts the attempts of this try and of every try", () => {
    expect(attemptsText({ attempts: 1, attempt_log: [attempt] })).toBe("1");
    expect(attemptsText({ attempts: 0, attempt_log: [attempt] })).toBe("0 (1 in all)");
    expect(attemptsText({ attempts: 1, attempt_log: [attempt, attempt] })).toBe("1 (2 in all)");
  });

  it("words an endpoint's event types", () => {
    expect(eventTypesText(["*"])).toBe("every event");
    expect(eventTypesText(["card.created", "card.moved"])).toBe("card.created, card.moved");
  });

  it("toggles an event type and keeps the list order", () => {
    const once = toggleEventType([], "card.moved");
    const twice = toggleEventType(once, "board.updated");
    expect(twice).toEqual(["board.updated", "card.moved"]);
    expect(toggleEventType(twice, "card.moved")).toEqual(["board.updated"]);
  });

  it("groups every event type once", () => {
    const groups = eventTypeGroups();
    expect(groups.map(([subject]) => subject)).toEqual(["board", "column", "card", "comment", "member", "label"]);
    expect(groups.flatMap(([, names]) => names)).toEqual(EVENT_NAMES);
  });
});
