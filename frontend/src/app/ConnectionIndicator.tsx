/** The connection indicator: Live, Reconnecting in Ns (with a retry button), or Offline. */

import { useEffect, useState, useSyncExternalStore } from "react";

import type { Connection, ConnectionStatus } from "../realtime/connection";

function useStatus(connection: Connection): ConnectionStatus {
  return useSyncExternalStore(
    (listener) => connection.onStatus(listener),
    () => connection.status,
  );
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 250);
    return () => window.clearInterval(timer);
  }, [active]);
  return now;
}

/** Return the indicator's words for a status (exported for the README and tests). */
export function statusText(status: ConnectionStatus, now: number): string {
  switch (status.kind) {
    case "live":
      return "Live";
    case "offline":
      return "Offline";
    case "connecting":
      return "Connecting…";
    case "reconnecting":
      if (status.retryAt === null) return "Reconnecting…";
      return `Reconnecting in ${Math.max(1, Math.ceil((status.retryAt - now) / 1000))}s`;
  }
}

export function ConnectionIndicator({ connection }: { connection: Connection }) {
  const status = useStatus(connection);
  const now = useNow(status.kind === "reconnecting" && status.retryAt !== null);
  const text = statusText(status, now);
  const tone = status.kind === "live" ? "live" : status.kind === "offline" ? "offline" : "pending";
  const hint =
    status.kind === "live"
      ? "Connected: changes by others appear as they happen."
      : status.kind === "offline"
        ? "Your browser is offline. Changes will sync when you are back online."
        : "Not connected: changes by others will appear once reconnected.";
  return (
    <div className={`conn conn-${tone}`} title={hint}>
      <span className="conn-dot" aria-hidden="true" />
      <span data-testid="connection-status" data-state={status.kind} role="status" aria-live="polite">
        {text}
      </span>
      {status.kind === "reconnecting" && status.retryAt !== null && (
        <button type="button" className="link-button conn-retry" onClick={() => connection.retryNow()} data-testid="connection-retry">
          Retry now
        </button>
      )}
    </div>
  );
}
