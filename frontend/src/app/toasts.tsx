/** Short messages about the user's own actions, e.g. a change the server refused. */

import { useSyncExternalStore } from "react";

export type ToastKind = "error" | "info" | "success";

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

let toasts: Toast[] = [];
let counter = 0;
const listeners = new Set<() => void>();

function emit(): void {
  for (const listener of listeners) listener();
}

/** Show a toast for a few seconds (errors stay a little longer). */
export function toast(text: string, kind: ToastKind = "info"): void {
  counter += 1;
  const id = counter;
  toasts = [...toasts.filter((t) => t.text !== text), { id, kind, text }].slice(-4);
  emit();
  window.setTimeout(() => dismiss(id), kind === "error" ? 7000 : 3500);
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

function useToasts(): Toast[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => toasts,
  );
}

/** The toast stack; errors are also announced assertively. */
export function Toasts() {
  const items = useToasts();
  return (
    <div className="toasts" aria-live="assertive" aria-relevant="additions">
      {items.map((item) => (
        <div key={item.id} className={`toast toast-${item.kind}`} role={item.kind === "error" ? "alert" : "status"} data-testid="toast">
          <span>{item.text}</span>
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismiss(item.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
