/** A tiny history-API router: the app's few routes need no library. */

import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from "react";

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

window.addEventListener("popstate", notify);

/** Go to an app path (pushes a history entry unless `replace`). */
export function navigate(path: string, replace = false): void {
  if (path === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  notify();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Return the current path, re-rendering when it changes. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export type Route =
  | { name: "login" }
  | { name: "signup" }
  | { name: "workspaces" }
  | { name: "workspace"; id: number; tab: "boards" | "members" | "webhooks" }
  | { name: "board"; id: number; card: number | null; activity: boolean }
  | { name: "tokens" }
  | { name: "not_found" };

/** Match a path to a route. */
export function matchRoute(path: string): Route {
  const parts = path.split("/").filter(Boolean);
  const [head, second, third, fourth] = parts;
  if (parts.length === 0) return { name: "workspaces" };
  if (head === "login" && parts.length === 1) return { name: "login" };
  if (head === "signup" && parts.length === 1) return { name: "signup" };
  if (head === "tokens" && parts.length === 1) return { name: "tokens" };
  if (head === "w" && second && /^\d+$/.test(second)) {
    if (parts.length === 2) return { name: "workspace", id: Number(second), tab: "boards" };
    if (third === "members" && parts.length === 3) return { name: "workspace", id: Number(second), tab: "members" };
    if (third === "webhooks" && parts.length === 3) return { name: "workspace", id: Number(second), tab: "webhooks" };
  }
  if (head === "b" && second && /^\d+$/.test(second)) {
    if (parts.length === 2) return { name: "board", id: Number(second), card: null, activity: false };
    if (third === "activity" && parts.length === 3) return { name: "board", id: Number(second), card: null, activity: true };
    if (third === "c" && fourth && /^\d+$/.test(fourth) && parts.length === 4) {
      return { name: "board", id: Number(second), card: Number(fourth), activity: false };
    }
  }
  return { name: "not_found" };
}

interface LinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  to: string;
  children: ReactNode;
}

/** An anchor that navigates without reloading (modified clicks still open new tabs). */
export function Link({ to, children, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  );
}
