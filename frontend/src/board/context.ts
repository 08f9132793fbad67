/** What every part of the board screen shares: the store, the actions and the current view. */

import { createContext, useContext } from "react";

import type { Me } from "../api/types";
import type { PresenceMember } from "../realtime/protocol";
import type { BoardView } from "../realtime/view";
import type { BoardStore } from "../realtime/store";
import type { Abilities } from "./abilities";
import type { BoardActions } from "./actions";

export interface BoardContextValue {
  store: BoardStore;
  actions: BoardActions;
  view: BoardView;
  me: Me;
  can: Abilities;
  /** Who else has each card open, by card id. */
  viewersByCard: Record<number, PresenceMember[]>;
  flash: Readonly<Record<number, number>>;
  openCard: (id: number) => void;
  /** Ask a card tile to take focus after it re-renders (keyboard moves). */
  requestFocus: (key: string) => void;
  focusRequest: string | null;
}

export const BoardContext = createContext<BoardContextValue | null>(null);

export function useBoard(): BoardContextValue {
  const value = useContext(BoardContext);
  if (value === null) throw new Error("useBoard outside a board");
  return value;
}
