/** Resource shapes of the REST API (v1), as the server represents them. */

import type { EventName } from "../realtime/protocol";

export type Role = "owner" | "admin" | "member" | "viewer";

export const ROLES: readonly Role[] = ["owner", "admin", "member", "viewer"];

export interface UserBrief {
  id: number;
  username: string;
}

/** The feature flags the server turns on per user (django-waffle; api/features.py). */
export interface Features {
  activity_panel: boolean;
  collaborative_descriptions: boolean;
}

export interface Me extends UserBrief {
  email: string;
  date_joined?: string;
  is_staff?: boolean;
  features?: Features;
}

export interface Workspace {
  id: number;
  name: string;
  role: Role | null;
  created_at?: string;
}

export interface Member {
  user: UserBrief;
  role: Role;
  created_at?: string;
}

export interface Board {
  id: number;
  workspace: number;
  title: string;
  description: string;
  seq: number;
  locked: boolean;
  version: number;
  created_at?: string;
  updated_at?: string;
}

export interface Column {
  id: number;
  board: number;
  title: string;
  position: string;
  version: number;
}

export interface Label {
  id: number;
  board: number;
  name: string;
  color: string;
}

export interface Card {
  id: number;
  board: number;
  column: number;
  title: string;
  description: string;
  /** The description rendered from Markdown and sanitised by the server. */
  description_html: string;
  position: string;
  assignees: number[];
  labels: number[];
  due_at: string | null;
  archived: boolean;
  version: number;
  created_by: number | null;
  created_at?: string;
  updated_at?: string;
}

export interface Comment {
  id: number;
  card: number;
  author: UserBrief;
  body: string;
  hidden: boolean;
  created_at: string;
  edited_at: string | null;
  reactions: ReactionGroup[];
}

/** The names of the reactions a comment can get, in the order they are shown. */
export const REACTIONS = {
  "+1": "\u{1F44D}",
  "-1": "\u{1F44E}",
  laugh: "\u{1F604}",
  hooray: "\u{1F389}",
  confused: "\u{1F615}",
  heart: "\u2764\uFE0F",
  rocket: "\u{1F680}",
  eyes: "\u{1F440}",
} as const;

export type ReactionName = keyof typeof REACTIONS;

export interface ReactionGroup {
  reaction: ReactionName;
  emoji: string;
  count: number;
  users: UserBrief[];
}

export interface Snapshot {
  seq: number;
  board: Board;
  columns: Column[];
  cards: Card[];
  labels: Label[];
  members: Member[];
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface ApiToken {
  id: number;
  name: string;
  prefix?: string;
  scopes: string[];
  created_at?: string;
  expires_at: string | null;
  last_used_at?: string | null;
  revoked?: boolean;
  /** The plaintext token: present once, in the creation response. */
  token?: string;
}

/** One change to a board, as `GET /boards/{id}/events/` and the socket carry it. */
export interface BoardEvent {
  board: number;
  seq: number;
  event: EventName;
  data: Record<string, unknown>;
  actor: UserBrief | null;
  ts: string;
}

export interface EventsPage {
  results: BoardEvent[];
  seq: number;
  has_more: boolean;
}

export type NotificationReason = "mentioned" | "assigned" | "commented" | "changed";

/** Something that concerns the user (GET /api/v1/notifications/). */
export interface AppNotification {
  id: number;
  board: number;
  card: number | null;
  comment: number | null;
  event: string;
  seq: number;
  reason: NotificationReason;
  actor: UserBrief | null;
  card_title: string;
  created_at: string;
  read_at: string | null;
  unread: boolean;
}

/** A webhook of a workspace (GET /api/v1/workspaces/{id}/webhooks/). */
export interface Webhook {
  id: number;
  workspace: number;
  url: string;
  description: string;
  event_types: string[];
  active: boolean;
  disabled_reason: string;
  failures_in_a_row: number;
  secret_rotated: boolean;
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
  /** Only in the answer that creates it or rotates its secret. */
  secret?: string;
}

export interface WebhookAttempt {
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  response_excerpt: string;
  error: string;
  succeeded: boolean;
}

export interface WebhookDelivery {
  id: number;
  endpoint: number;
  board: number;
  seq: number;
  event_name: string;
  message_id: string;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  finished_at: string | null;
  attempt_log: WebhookAttempt[];
}
