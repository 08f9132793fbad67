/**
 * The sync status of a collaborative description, from what the socket tells.
 *
 * The server acknowledges each update-bearing message it stored (message 101, a
 * count per socket); the client counts the ones it sent on the current socket. All
 * acknowledged and the first sync done: saved. Offline: the edits stay in the
 * document, and the reconnect's sync sends them.
 */

export type DocState = "saved" | "syncing" | "offline" | "reconnected" | "readonly";

export const STATUS_TEXT: Record<DocState, string> = {
  saved: "Saved",
  syncing: "Syncing",
  offline: "Offline — changes kept",
  reconnected: "Reconnected",
  readonly: "Read-only",
};

export interface SyncFacts {
  connected: boolean;
  synced: boolean;
  writable: boolean;
  sent: number;
  acked: number;
  /** A reconnect's sync completed less than a moment ago. */
  justReconnected: boolean;
}

export function docState(facts: SyncFacts): DocState {
  if (!facts.connected) return "offline";
  if (!facts.writable && facts.synced) return "readonly";
  if (!facts.synced || facts.acked < facts.sent) return "syncing";
  return facts.justReconnected ? "reconnected" : "saved";
}

/** Server messages of Corkboard's own (stock y-websocket providers ignore them). */
export const MESSAGE_HELLO = 100;
export const MESSAGE_SAVED = 101;

/** Close codes after which reconnecting is pointless (y-websocket: 44xx is final). */
export const CLOSE_GENERATION = 4409;
export const RETRY_CODES = new Set([4429, 1012, 1013]);

export function shouldReconnect(code: number): boolean {
  return RETRY_CODES.has(code) || !(code >= 4400 && code < 4500);
}
