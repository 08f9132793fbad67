/** What the current user may do on a board, from their role and the board's lock. */

import type { Me, Role } from "../api/types";
import type { BoardView } from "../realtime/view";

export interface Abilities {
  role: Role | null;
  /** Create, edit, move, archive cards; comment. */
  editCards: boolean;
  /** Columns, labels, the board's title. */
  manageBoard: boolean;
  /** Why the board is read-only for this user, if it is. */
  readOnly: "locked" | "viewer" | "outsider" | null;
}

export function abilitiesOf(view: BoardView, me: Me): Abilities {
  const role = view.membersById[me.id]?.role ?? null;
  const admin = role === "admin" || role === "owner";
  const member = admin || role === "member";
  const locked = view.board.locked;
  const editCards = member && (!locked || admin);
  let readOnly: Abilities["readOnly"] = null;
  if (role === null) readOnly = "outsider";
  else if (role === "viewer") readOnly = "viewer";
  else if (locked && !admin) readOnly = "locked";
  return { role, editCards, manageBoard: admin, readOnly };
}
