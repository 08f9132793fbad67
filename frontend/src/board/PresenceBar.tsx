/** Who is on the board right now, and which card each has open. */

import type { PresenceMember } from "../realtime/protocol";
import type { BoardView } from "../realtime/view";
import { Avatar } from "../app/Avatar";

export function PresenceBar({ presence, view, meId }: { presence: PresenceMember[]; view: BoardView; meId: number }) {
  if (presence.length === 0) return null;
  return (
    <div className="presence" aria-label="People on this board" data-testid="presence-bar">
      {presence.map((p) => {
        const card = p.card !== null ? view.cards[p.card] : undefined;
        const where = card ? `${p.state === "editing" ? "editing" : "viewing"} “${card.title}”` : "on the board";
        const name = p.user.id === meId ? `${p.user.username} (you)` : p.user.username;
        return (
          <Avatar
            key={p.user.id}
            username={p.user.username}
            title={`${name}: ${where}`}
            ring={p.card !== null}
            testId="presence-avatar"
            extra={{ "data-card": p.card === null ? "" : String(p.card), "data-state": p.state }}
          />
        );
      })}
    </div>
  );
}
