/** Websocket messages of `/ws/`, mirroring the server's protocol table in DESIGN.md. */

import type { AppNotification, BoardEvent, UserBrief } from "../api/types";

/**
 * Every board event name: held equal to the server's registry (collab/event_types.py)
 * by tests/collab/test_event_types.py.
 */
export type EventName =
  | "board.updated"
  | "board.deleted"
  | "board.locked"
  | "board.unlocked"
  | "column.created"
  | "column.updated"
  | "column.moved"
  | "column.deleted"
  | "card.created"
  | "card.updated"
  | "card.moved"
  | "card.archived"
  | "card.deleted"
  | "comment.created"
  | "comment.updated"
  | "comment.deleted"
  | "comment.hidden"
  | "comment.reacted"
  | "member.added"
  | "member.updated"
  | "member.removed"
  | "label.created"
  | "label.updated"
  | "label.deleted";

/** Every event name (the record makes the compiler hold it to the union). */
const EVENT_NAME_SET: Record<EventName, true> = {
  "board.updated": true,
  "board.deleted": true,
  "board.locked": true,
  "board.unlocked": true,
  "column.created": true,
  "column.updated": true,
  "column.moved": true,
  "column.deleted": true,
  "card.created": true,
  "card.updated": true,
  "card.moved": true,
  "card.archived": true,
  "card.deleted": true,
  "comment.created": true,
  "comment.updated": true,
  "comment.deleted": true,
  "comment.hidden": true,
  "comment.reacted": true,
  "member.added": true,
  "member.updated": true,
  "member.removed": true,
  "label.created": true,
  "label.updated": true,
  "label.deleted": true,
};
export const EVENT_NAMES = Object.keys(EVENT_NAME_SET) as EventName[];

export type PresenceState = "viewing" | "editing";

// Client → server.
export interface SubscribeMessage {
  type: "subscribe";
  board: number;
  since?: number;
}

export interface UnsubscribeMessage {
  type: "unsubscribe";
  board: number;
}

export interface PresenceOutMessage {
  type: "presence";
  board: number;
  card?: number | null;
  state: PresenceState;
}

export interface PingMessage {
  type: "ping";
}

export type ClientMessage = SubscribeMessage | UnsubscribeMessage | PresenceOutMessage | PingMessage;

// Server → client.
export interface SubscribedMessage {
  type: "subscribed";
  board: number;
  seq: number;
}

export interface EventMessage extends BoardEvent {
  type: "event";
}

export interface ResyncMessage {
  type: "resync";
  board: number;
}

export interface PresenceMember {
  user: UserBrief;
  card: number | null;
  state: PresenceState;
}

export interface PresenceInMessage {
  type: "presence";
  board: number;
  members: PresenceMember[];
}

export interface PongMessage {
  type: "pong";
}

export type ErrorCode = "forbidden" | "not_found" | "bad_request" | "rate_limited" | string;

export interface ErrorMessage {
  type: "error";
  code: ErrorCode;
  message: string;
  board?: number;
}

/** A new notification for this user (sent to every socket of theirs). */
export interface NotificationMessage {
  type: "notification";
  notification: AppNotification;
}

export type ServerMessage =
  | NotificationMessage
  | SubscribedMessage
  | EventMessage
  | ResyncMessage
  | PresenceInMessage
  | PongMessage
  | ErrorMessage;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parse one text frame; return `null` for anything that is not a known message. */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value) || typeof value.type !== "string") return null;
  switch (value.type) {
    case "subscribed":
      return typeof value.board === "number" && typeof value.seq === "number" ? (value as unknown as SubscribedMessage) : null;
    case "event":
      return typeof value.board === "number" && typeof value.seq === "number" && typeof value.event === "string"
        ? (value as unknown as EventMessage)
        : null;
    case "resync":
      return typeof value.board === "number" ? (value as unknown as ResyncMessage) : null;
    case "presence":
      return typeof value.board === "number" && Array.isArray(value.members)
        ? (value as unknown as PresenceInMessage)
        : null;
    case "pong":
      return { type: "pong" };
    case "notification":
      return isRecord(value.notification) && typeof value.notification.id === "number"
        ? (value as unknown as NotificationMessage)
        : null;
    case "error":
      return {
        type: "error",
        code: typeof value.code === "string" ? value.code : "error",
        message: typeof value.message === "string" ? value.message : "",
        ...(typeof value.board === "number" ? { board: value.board } : {}),
      };
    default:
      return null;
  }
}

/** Return the websocket URL of this page's origin (`ws:` or `wss:`). */
export function socketUrl(location: Pick<Location, "protocol" | "host">): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/`;
}
