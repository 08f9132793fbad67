/** A polite live region that tells screen-reader users about other people's changes. */

import { useSyncExternalStore } from "react";

let message = "";
let pending: string[] = [];
let timer: number | null = null;
const listeners = new Set<() => void>();

function flush(): void {
  timer = null;
  if (pending.length === 0) return;
  const shown = pending.slice(0, 3);
  const rest = pending.length - shown.length;
  message = shown.join(". ") + (rest > 0 ? `, and ${rest} more change${rest === 1 ? "" : "s"}.` : ".");
  pending = [];
  for (const listener of listeners) listener();
}

/** Queue a sentence; bursts (e.g. a replay after reconnecting) are read as one summary. */
export function announce(text: string): void {
  pending.push(text);
  if (timer === null) timer = window.setTimeout(flush, 700);
}

/** The visually hidden region itself, rendered once by the app shell. */
export function LiveRegion() {
  const text = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => message,
  );
  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true" role="status" data-testid="live-region">
      {text}
    </div>
  );
}
