/** Typed calls for each REST resource of the public API. */

import { api } from "./client";
import type {
  ApiToken,
  AppNotification,
  Board,
  Card,
  Column,
  Comment,
  EventsPage,
  Label,
  Me,
  Member,
  Page,
  ReactionName,
  Role,
  Snapshot,
  Webhook,
  WebhookDelivery,
  Workspace,
} from "./types";

/** Fetch every page of a paginated list (pages follow the server's `next` links). */
export async function listAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | null = path;
  for (let guard = 0; next !== null && guard < 100; guard++) {
    const page: Page<T> | T[] = await api<Page<T> | T[]>(next);
    if (Array.isArray(page)) return page;
    items.push(...page.results);
    next = page.next ? relativeApiPath(page.next) : null;
  }
  return items;
}

function relativeApiPath(url: string): string {
  const parsed = new URL(url, window.location.origin);
  const path = parsed.pathname.replace(/^\/api\/v1/, "");
  return `${path}${parsed.search}`;
}

export const auth = {
  me: () => api<Me>("/me/"),
  login: (username: string, password: string) =>
    api<Me | null>("/auth/login/", { method: "POST", body: { username, password } }),
  signup: (username: string, email: string, password: string) =>
    api<Me | null>("/auth/signup/", { method: "POST", body: { username, email, password } }),
  logout: () => api<null>("/auth/logout/", { method: "POST" }),
};

export const workspaces = {
  list: () => listAll<Workspace>("/workspaces/"),
  get: (id: number) => api<Workspace>(`/workspaces/${id}/`),
  create: (name: string) => api<Workspace>("/workspaces/", { method: "POST", body: { name } }),
  rename: (id: number, name: string) => api<Workspace>(`/workspaces/${id}/`, { method: "PATCH", body: { name } }),
  remove: (id: number) => api<null>(`/workspaces/${id}/`, { method: "DELETE" }),
};

export const members = {
  list: (workspace: number) => listAll<Member>(`/workspaces/${workspace}/members/`),
  add: (workspace: number, username: string, role: Role) =>
    api<Member>(`/workspaces/${workspace}/members/`, { method: "POST", body: { username, role } }),
  update: (workspace: number, userId: number, role: Role) =>
    api<Member>(`/workspaces/${workspace}/members/${userId}/`, { method: "PATCH", body: { role } }),
  remove: (workspace: number, userId: number) =>
    api<null>(`/workspaces/${workspace}/members/${userId}/`, { method: "DELETE" }),
};

export const boards = {
  list: (workspace: number) => listAll<Board>(`/boards/?workspace=${workspace}`),
  get: (id: number) => api<Board>(`/boards/${id}/`),
  create: (workspace: number, title: string, description = "") =>
    api<Board>("/boards/", { method: "POST", body: { workspace, title, description } }),
  update: (id: number, patch: Partial<Pick<Board, "title" | "description">>, version?: number) =>
    api<Board>(`/boards/${id}/`, { method: "PATCH", body: patch, ifMatch: version }),
  remove: (id: number) => api<null>(`/boards/${id}/`, { method: "DELETE" }),
  snapshot: (id: number) => api<Snapshot>(`/boards/${id}/snapshot/`),
  events: (id: number, after: number, limit = 200) =>
    api<EventsPage>(`/boards/${id}/events/?after=${after}&limit=${limit}`),
};

export interface Placement {
  after?: number;
  before?: number;
}

export const columns = {
  create: (board: number, title: string, place: Placement = {}) =>
    api<Column>("/columns/", { method: "POST", body: { board, title, ...place } }),
  rename: (id: number, title: string, version?: number) =>
    api<Column>(`/columns/${id}/`, { method: "PATCH", body: { title }, ifMatch: version }),
  move: (id: number, place: Placement) => api<Column>(`/columns/${id}/move/`, { method: "POST", body: place }),
  remove: (id: number) => api<null>(`/columns/${id}/`, { method: "DELETE" }),
};

export type CardPatch = Partial<Pick<Card, "title" | "description" | "assignees" | "labels" | "due_at" | "archived">>;

export const cards = {
  get: (id: number) => api<Card>(`/cards/${id}/`),
  create: (column: number, title: string, place: Placement = {}, description = "") =>
    api<Card>("/cards/", { method: "POST", body: { column, title, description, ...place } }),
  update: (id: number, patch: CardPatch, version?: number) =>
    api<Card>(`/cards/${id}/`, { method: "PATCH", body: patch, ifMatch: version }),
  move: (id: number, column: number, place: Placement) =>
    api<Card>(`/cards/${id}/move/`, { method: "POST", body: { column, ...place } }),
  remove: (id: number) => api<null>(`/cards/${id}/`, { method: "DELETE" }),
};

export const labels = {
  list: (board: number) => listAll<Label>(`/labels/?board=${board}`),
  create: (board: number, name: string, color: string) =>
    api<Label>("/labels/", { method: "POST", body: { board, name, color } }),
  update: (id: number, patch: Partial<Pick<Label, "name" | "color">>) =>
    api<Label>(`/labels/${id}/`, { method: "PATCH", body: patch }),
  remove: (id: number) => api<null>(`/labels/${id}/`, { method: "DELETE" }),
};

export const comments = {
  list: (card: number) => listAll<Comment>(`/comments/?card=${card}`),
  create: (card: number, body: string) => api<Comment>("/comments/", { method: "POST", body: { card, body } }),
  update: (id: number, body: string) => api<Comment>(`/comments/${id}/`, { method: "PATCH", body: { body } }),
  remove: (id: number) => api<null>(`/comments/${id}/`, { method: "DELETE" }),
  react: (id: number, reaction: ReactionName, active: boolean) =>
    api<Comment>(`/comments/${id}/reactions/`, { method: "POST", body: { reaction, active } }),
};

export const tokens = {
  list: () => listAll<ApiToken>("/tokens/"),
  create: (name: string, scopes: string[], expiresAt: string | null) =>
    api<ApiToken>("/tokens/", {
      method: "POST",
      body: expiresAt ? { name, scopes, expires_at: expiresAt } : { name, scopes },
    }),
  revoke: (id: number) => api<null>(`/tokens/${id}/`, { method: "DELETE" }),
};

export const reports = {
  create: (targetType: "comment" | "card", targetId: number, reason: string) =>
    api<unknown>("/reports/", { method: "POST", body: { target_type: targetType, target_id: targetId, reason } }),
};

export const notifications = {
  recent: (unreadOnly = false) =>
    api<Page<AppNotification>>(`/notifications/${unreadOnly ? "?unread=true" : ""}`),
  read: (id: number) => api<AppNotification>(`/notifications/${id}/read/`, { method: "POST" }),
  readAll: () => api<{ marked: number }>("/notifications/read-all/", { method: "POST" }),
};

export const webhooks = {
  list: (workspace: number) => listAll<Webhook>(`/workspaces/${workspace}/webhooks/`),
  create: (workspace: number, body: { url: string; event_types: string[]; description: string }) =>
    api<Webhook>(`/workspaces/${workspace}/webhooks/`, { method: "POST", body }),
  update: (workspace: number, id: number, body: Partial<Pick<Webhook, "url" | "event_types" | "description" | "active">>) =>
    api<Webhook>(`/workspaces/${workspace}/webhooks/${id}/`, { method: "PATCH", body }),
  remove: (workspace: number, id: number) => api<null>(`/workspaces/${workspace}/webhooks/${id}/`, { method: "DELETE" }),
  rotateSecret: (workspace: number, id: number) =>
    api<Webhook>(`/workspaces/${workspace}/webhooks/${id}/rotate-secret/`, { method: "POST" }),
  /** The newest page of a webhook's deliveries, of one state ("" for all). */
  deliveries: (workspace: number, id: number, state: "" | WebhookDelivery["state"] = "") =>
    api<Page<WebhookDelivery>>(`/workspaces/${workspace}/webhooks/${id}/deliveries/${state ? `?state=${state}` : ""}`),
  /** Send again every event of one board after seq `since` that the webhook wants. */
  redeliverSince: (workspace: number, id: number, body: { board: number; since: number }) =>
    api<{ queued: number }>(`/workspaces/${workspace}/webhooks/${id}/redeliver/`, { method: "POST", body }),
  redeliver: (workspace: number, id: number, delivery: number) =>
    api<WebhookDelivery>(`/workspaces/${workspace}/webhooks/${id}/deliveries/${delivery}/redeliver/`, { method: "POST" }),
};

export const watching = {
  card: (id: number) => api<{ watching: boolean }>(`/cards/${id}/watch/`),
  setCard: (id: number, on: boolean) => api<{ watching: boolean }>(`/cards/${id}/watch/`, { method: on ? "POST" : "DELETE" }),
};
