import { describe, expect, it } from "vitest";
import { docState, shouldReconnect, STATUS_TEXT } from "./status";

const base = { connected: true, synced: true, writable: true, sent: 2, acked: 2, justReconnected: false };

describe("docState", () => {
  it("is saved when every message sent is acknowledged", () => {
    expect(docState(base)).toBe("saved");
    expect(STATUS_TEXT[docState(base)]).toBe("Saved");
  });
  it("is syncing while an update waits for its acknowledgement or the first sync", () => {
    expect(docState({ ...base, acked: 1 })).toBe("syncing");
    expect(docState({ ...base, synced: false })).toBe("syncing");
  });
  it("keeps changes offline and says so", () => {
    expect(docState({ ...base, connected: false })).toBe("offline");
    expect(STATUS_TEXT.offline).toBe("Offline — changes kept");
  });
  it("says reconnected for a moment after a reconnect's sync", () => {
    expect(docState({ ...base, justReconnected: true })).toBe("reconnected");
    expect(docState({ ...base, justReconnected: true, acked: 0 })).toBe("syncing");
  });
  it("is read-only when the server says the socket cannot write", () => {
    expect(docState({ ...base, writable: false })).toBe("readonly");
  });
});

describe("shouldReconnect", () => {
  it("retries a restart, a busy server and a rate limit, not a refusal", () => {
    for (const code of [1006, 1012, 1013, 4429]) expect(shouldReconnect(code)).toBe(true);
    for (const code of [4400, 4401, 4403, 4404, 4409, 4413]) expect(shouldReconnect(code)).toBe(false);
  });
});
