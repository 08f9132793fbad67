/** The REST client: JSON over fetch with the session cookie, CSRF and one error type. */

export interface ApiErrorBody {
  error?: string;
  message?: string;
  detail?: Record<string, string[] | string>;
}

/** A refused or failed request, carrying the server's error code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: Record<string, string[] | string> | undefined;

  constructor(status: number, code: string, message: string, detail?: Record<string, string[] | string>) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }

  /** Return the first message about `field`, if the server sent one. */
  fieldMessage(field: string): string | undefined {
    const value = this.detail?.[field];
    if (Array.isArray(value)) return value[0];
    return value;
  }
}

const BASE = "/api/v1";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function readCookie(name: string): string | null {
  const prefix = `${name}=`;
  for (const part of document.cookie.split(";")) {
    const item = part.trim();
    if (item.startsWith(prefix)) return decodeURIComponent(item.slice(prefix.length));
  }
  return null;
}

let csrfReady: Promise<void> | null = null;

/** Make sure the `csrftoken` cookie is set (Django rotates it on login: read it per request). */
export function ensureCsrf(force = false): Promise<void> {
  if (force || csrfReady === null) {
    csrfReady = fetch(`${BASE}/auth/csrf/`, { credentials: "same-origin" })
      // Read the body: an unread (uncacheable) response holds its connection open.
      .then((response) => response.text())
      .then(() => undefined)
      .catch(() => {
        csrfReady = null;
      });
  }
  return csrfReady;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  ifMatch?: number;
  signal?: AbortSignal;
}

function humanMessage(status: number): string {
  switch (status) {
    case 401:
      return "Please log in again.";
    case 403:
      return "You do not have permission to do this.";
    case 404:
      return "This no longer exists.";
    case 412:
      return "Someone else changed this in the meantime.";
    case 423:
      return "This board is locked; it is read-only.";
    case 429:
      return "Too many requests; please slow down.";
    default:
      return status >= 500 ? "The server had a problem; please try again." : "The request was refused.";
  }
}

/** Send a request to `/api/v1{path}` and return its JSON body (or `null` for 204). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = (options.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method)) {
    if (readCookie("csrftoken") === null) await ensureCsrf(true);
    headers["X-CSRFToken"] = readCookie("csrftoken") ?? "";
  }
  if (options.ifMatch !== undefined) headers["If-Match"] = `"${options.ifMatch}"`;
  let response: Response;
  try {
    response = await fetch(`${BASE}${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "network", "Could not reach the server. Check your connection.");
  }
  if (response.status === 204) return null as T;
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const err = (body ?? {}) as ApiErrorBody;
    throw new ApiError(
      response.status,
      err.error ?? `http_${response.status}`,
      err.message ?? humanMessage(response.status),
      err.detail,
    );
  }
  return body as T;
}

/** Return a readable sentence for any error thrown by {@link api}. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.detail) {
      const parts = Object.entries(error.detail).map(([field, value]) => {
        const text = Array.isArray(value) ? value.join(" ") : value;
        return field === "non_field_errors" ? text : `${field}: ${text}`;
      });
      if (parts.length > 0 && error.code === "invalid") return parts.join(" ");
    }
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
