/** The logged-in user and the tab's one live connection, shared through React context. */

import { createContext, useContext } from "react";

import type { Me } from "../api/types";
import type { Connection } from "../realtime/connection";

export interface Session {
  me: Me;
  connection: Connection;
  logout: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

/** Return the session; only used under the logged-in part of the app. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error("useSession outside a logged-in screen");
  return session;
}
