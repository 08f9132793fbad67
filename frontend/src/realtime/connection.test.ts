import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { BoardEvent, EventsPage } from "../api/types";
import { backoffDelay, Connection, type ConnectionStatus, type SocketLike } from "./connection";

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code?: number }) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  closed = false;

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.closed = true;
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function ev(seq: number, board = 1): BoardEvent & { type: "event" } {
  return {
    type: "event",
    board,
    seq,
    event: "card.updated",
    data: { id: seq },
    actor: { id: 2, username: "bob" },
    ts: "2025-01-01T00:00:00Z",
  };
}

interface Harness {
  connection: Connection;
  sockets: FakeSocket[];
  statuses: ConnectionStatus[];
  fetchEvents: ReturnType<typeof vi.fn<(board: number, after: number) => Promise<EventsPage>>>;
  online: { value: boolean };
  env: EventTarget;
  last(): FakeSocket;
}

function harness(history: BoardEvent[] = []): Harness {
  const sockets: FakeSocket[] = [];
  const statuses: ConnectionStatus[] = [];
  const online = { value: true };
  const env = new EventTarget();
  const fetchEvents = vi.fn(async (_board: number, after: number): Promise<EventsPage> => {
    const results = history.filter((e) => e.seq > after);
    return { results, seq: history.at(-1)?.seq ?? after, has_more: false };
  });
  const connection = new Connection({
    url: "ws://test/ws/",
    fetchEvents,
    createSocket: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    isOnline: () => online.value,
    environment: env,
    random: () => 0.5,
  });
  connection.onStatus((status) => statuses.push(status));
  return { connection, sockets, statuses, fetchEvents, online, env, last: () => sockets.at(-1)! };
}

/** A started connection, live on board 1 at `seq`, recording the seqs it delivers. */
function liveOnBoard1(seq: number): { h: Harness; received: number[] } {
  const h = harness();
  h.connection.start();
  const received: number[] = [];
  h.connection.watch(1, seq, { onEvent: (e) => received.push(e.seq), onResync: () => {} });
  h.last().open();
  h.last().receive({ type: "subscribed", board: 1, seq });
  return { h, received };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("backoffDelay", () => {
  it("grows exponentially with jitter and a ceiling", () => {
    expect(backoffDelay(0, () => 0)).toBe(500);
    expect(backoffDelay(0, () => 1)).toBe(1000);
    expect(backoffDelay(3, () => 0.5)).toBe(6000);
    expect(backoffDelay(20, () => 1)).toBe(30000);
  });
});

describe("Connection", () => {
  it("subscribes with since and is live only once subscribed", () => {
    const h = harness();
    h.connection.start();
    const received: number[] = [];
    h.connection.watch(1, 5, { onEvent: (e) => received.push(e.seq), onResync: () => {} });
    expect(h.connection.status.kind).toBe("connecting");
    h.last().open();
    expect(h.last().sent).toContainEqual({ type: "subscribe", board: 1, since: 5 });
    expect(h.connection.status.kind).toBe("connecting");
    h.last().receive({ type: "subscribed", board: 1, seq: 5 });
    expect(h.connection.status.kind).toBe("live");
  });

  it("delivers events in order, once, and drops duplicates", () => {
    const h = harness();
    h.connection.start();
    const received: number[] = [];
    h.connection.watch(1, 5, { onEvent: (e) => received.push(e.seq), onResync: () => {} });
    h.last().open();
    h.last().receive({ type: "subscribed", board: 1, seq: 5 });
    for (const seq of [6, 7, 7, 5, 8]) h.last().receive(ev(seq));
    expect(received).toEqual([6, 7, 8]);
  });

  it("fetches a gap from the events endpoint and delivers everything in order", async () => {
    const h = harness([ev(6), ev(7), ev(8), ev(9)]);
    h.connection.start();
    const received: number[] = [];
    h.connection.watch(1, 5, { onEvent: (e) => received.push(e.seq), onResync: () => {} });
    h.last().open();
    h.last().receive({ type: "subscribed", board: 1, seq: 5 });
    h.last().receive(ev(9));
    expect(h.connection.status.kind).not.toBe("live");
    await vi.runOnlyPendingTimersAsync();
    expect(h.fetchEvents).toHaveBeenCalledWith(1, 5);
    expect(received).toEqual([6, 7, 8, 9]);
    expect(h.connection.status.kind).toBe("live");
  });

  it("reconnects with backoff, shows the countdown, and resubscribes since the last seq", async () => {
    const { h, received } = liveOnBoard1(5);
    h.last().receive(ev(6));

    h.last().drop();
    const status = h.connection.status;
    expect(status.kind).toBe("reconnecting");
    expect(status.kind === "reconnecting" && status.retryAt).toBe(Date.now() + 750);
    expect(h.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(750);
    expect(h.sockets).toHaveLength(2);

    // The second attempt fails too: the wait doubles.
    h.last().drop();
    const second = h.connection.status;
    expect(second.kind === "reconnecting" && second.retryAt).toBe(Date.now() + 1500);
    await vi.advanceTimersByTimeAsync(1500);

    h.last().open();
    expect(h.last().sent).toContainEqual({ type: "subscribe", board: 1, since: 6 });
    h.last().receive({ type: "subscribed", board: 1, seq: 8 });
    expect(h.connection.status.kind).toBe("reconnecting");
    h.last().receive(ev(7));
    h.last().receive(ev(8));
    h.last().receive(ev(8));
    expect(received).toEqual([6, 7, 8]);
    expect(h.connection.status.kind).toBe("live");
  });

  it("fetches missed events itself when the replay does not come", async () => {
    const h = harness([ev(6), ev(7)]);
    h.connection.start();
    const received: number[] = [];
    h.connection.watch(1, 5, { onEvent: (e) => received.push(e.seq), onResync: () => {} });
    h.last().open();
    h.last().receive({ type: "subscribed", board: 1, seq: 7 });
    expect(h.connection.status.kind).toBe("connecting");
    await vi.advanceTimersByTimeAsync(1600);
    expect(received).toEqual([6, 7]);
    expect(h.connection.status.kind).toBe("live");
  });

  it("reconnects at once, without backoff, when the server restarts (1012)", async () => {
    const { h, received } = liveOnBoard1(5);

    h.last().drop(1012);
    expect(h.sockets).toHaveLength(2);
    h.last().open();
    expect(h.last().sent).toContainEqual({ type: "subscribe", board: 1, since: 5 });
    h.last().receive({ type: "subscribed", board: 1, seq: 6 });
    h.last().receive(ev(6));
    expect(received).toEqual([6]);
    expect(h.connection.status.kind).toBe("live");

    // If the new process is not there yet, the usual backoff applies.
    h.last().drop(1012);
    expect(h.sockets).toHaveLength(3);
    h.last().drop();
    expect(h.sockets).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(750);
    expect(h.sockets).toHaveLength(4);
  });

  it("asks for a snapshot on resync and continues from its seq", () => {
    const h = harness();
    h.connection.start();
    const received: number[] = [];
    let resyncs = 0;
    const channel = h.connection.watch(1, 5, { onEvent: (e) => received.push(e.seq), onResync: () => (resyncs += 1) });
    h.last().open();
    h.last().receive({ type: "resync", board: 1 });
    expect(resyncs).toBe(1);
    h.last().receive(ev(40)); // arrives while the snapshot loads
    channel.reset(39);
    expect(h.last().sent.at(-1)).toEqual({ type: "subscribe", board: 1, since: 39 });
    expect(received).toEqual([40]);
    h.last().receive({ type: "subscribed", board: 1, seq: 40 });
    expect(h.connection.status.kind).toBe("live");
  });

  it("pings every 25 s and reconnects when nothing comes back", async () => {
    const h = harness();
    h.connection.start();
    h.last().open();
    await vi.advanceTimersByTimeAsync(25000);
    expect(h.last().sent).toContainEqual({ type: "ping" });
    h.last().receive({ type: "pong" });
    await vi.advanceTimersByTimeAsync(25000 + 10000);
    expect(h.connection.status.kind).toBe("reconnecting");
    expect(h.sockets[0]!.closed).toBe(true);
  });

  it("shows offline when the browser goes offline and reconnects when back", () => {
    const h = harness();
    h.connection.start();
    h.last().open();
    expect(h.connection.status.kind).toBe("live");
    h.online.value = false;
    h.env.dispatchEvent(new Event("offline"));
    expect(h.connection.status.kind).toBe("offline");
    h.online.value = true;
    h.env.dispatchEvent(new Event("online"));
    expect(h.sockets).toHaveLength(2);
    h.last().open();
    expect(h.connection.status.kind).toBe("live");
  });

  it("sends presence throttled, re-sends it as a heartbeat and after reconnecting", async () => {
    const h = harness();
    h.connection.start();
    const channel = h.connection.watch(1, 0, { onEvent: () => {}, onResync: () => {} });
    h.last().open();
    h.last().receive({ type: "subscribed", board: 1, seq: 0 });
    channel.setPresence(null);
    channel.setPresence(3);
    channel.setPresence(4, "editing");
    const presence = () => h.last().sent.filter((m) => m.type === "presence");
    expect(presence()).toEqual([{ type: "presence", board: 1, card: null, state: "viewing" }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(presence().at(-1)).toEqual({ type: "presence", board: 1, card: 4, state: "editing" });
    const count = presence().length;
    await vi.advanceTimersByTimeAsync(10000);
    expect(presence().length).toBeGreaterThan(count);

    h.last().drop();
    await vi.advanceTimersByTimeAsync(1000);
    h.last().open();
    h.last().receive({ type: "subscribed", board: 1, seq: 0 });
    expect(presence()).toContainEqual({ type: "presence", board: 1, card: 4, state: "editing" });
  });

  it("routes presence and subscription errors to the board", () => {
    const h = harness();
    h.connection.start();
    const errors: string[] = [];
    const seen: number[] = [];
    h.connection.watch(1, 0, {
      onEvent: () => {},
      onResync: () => {},
      onPresence: (members) => seen.push(members.length),
      onError: (code) => errors.push(code),
    });
    h.last().open();
    h.last().receive({ type: "error", code: "not_found", message: "Board not found." });
    expect(errors).toEqual(["not_found"]);
    h.last().receive({ type: "presence", board: 1, members: [{ user: { id: 1, username: "a" }, card: null, state: "viewing" }] });
    expect(seen).toEqual([1]);
  });

  it("unsubscribes a closed board", () => {
    const h = harness();
    h.connection.start();
    h.last().open();
    const channel = h.connection.watch(1, 0, { onEvent: () => {}, onResync: () => {} });
    channel.close();
    expect(h.last().sent.at(-1)).toEqual({ type: "unsubscribe", board: 1 });
  });
});

/** A connection whose session check answers `alive`; counts checks and lost sessions. */
function sessionHarness(alive: boolean) {
  const sockets: FakeSocket[] = [];
  const counts = { checks: 0, lost: 0 };
  const connection = new Connection({
    url: "ws://test/ws/",
    fetchEvents: async () => ({ results: [], seq: 0, has_more: false }),
    createSocket: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    isOnline: () => true,
    environment: null,
    random: () => 0.5,
    checkSession: async () => {
      counts.checks += 1;
      return alive;
    },
    onSessionLost: () => (counts.lost += 1),
  });
  return { connection, sockets, counts };
}

describe("Connection session checks", () => {
  it("stops and reports a lost session when the handshake is refused", async () => {
    const { connection, sockets, counts } = sessionHarness(false);
    connection.start();
    sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(counts.lost).toBe(1);
    expect(connection.status.kind).toBe("offline");
    await vi.advanceTimersByTimeAsync(60000);
    expect(sockets).toHaveLength(1);
  });

  it("checks the session when the server ends it (4410: logout or token revoked)", async () => {
    const { connection, sockets, counts } = sessionHarness(false);
    connection.start();
    sockets[0]!.open();
    sockets[0]!.drop(4410);
    await vi.advanceTimersByTimeAsync(0);
    expect(counts.checks).toBe(1);
    expect(counts.lost).toBe(1);
    expect(connection.status.kind).toBe("offline");
  });

  it("keeps reconnecting after a network failure when the session is fine", async () => {
    const { connection, sockets } = sessionHarness(true);
    connection.start();
    sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sockets).toHaveLength(2);
  });
});
