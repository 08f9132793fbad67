/** The board's activity: its event log, newest first, live. */

import { Avatar } from "../app/Avatar";
import type { ActivityItem } from "../realtime/store";
import { relativeTime } from "./dates";

export function ActivityPanel({ items, loaded, onClose }: { items: ActivityItem[]; loaded: boolean; onClose: () => void }) {
  const newest = [...items].reverse();
  return (
    <aside className="activity" aria-labelledby="activity-heading" data-testid="activity-panel">
      <div className="activity-head">
        <h2 id="activity-heading">Activity</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close activity" data-testid="activity-close">
          ×
        </button>
      </div>
      {!loaded && <p className="muted">Loading…</p>}
      {loaded && newest.length === 0 && <p className="muted">Nothing has happened here yet.</p>}
      <ol className="activity-list">
        {newest.map(({ event, text }) => (
          <li key={event.seq} className="activity-item" data-testid="activity-item" data-seq={event.seq} data-event={event.event}>
            <Avatar username={event.actor?.username ?? "?"} size="sm" />
            <div>
              <p>{text}</p>
              <time dateTime={event.ts} title={new Date(event.ts).toLocaleString()}>
                {relativeTime(event.ts)}
              </time>
            </div>
          </li>
        ))}
      </ol>
    </aside>
  );
}
