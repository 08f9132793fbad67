/** The app shell: who is logged in, the top bar, the routes, toasts and the live region. */

import { useCallback, useEffect, useMemo, useState } from "react";

import { ApiError, ensureCsrf } from "../api/client";
import { auth, boards as boardsApi } from "../api/resources";
import type { Me } from "../api/types";
import { Connection } from "../realtime/connection";
import { socketUrl } from "../realtime/protocol";
import { BoardScreen } from "../screens/BoardScreen";
import { LoginScreen, SignupScreen } from "../screens/AuthScreens";
import { TokensScreen } from "../screens/TokensScreen";
import { WorkspaceScreen } from "../screens/WorkspaceScreen";
import { WorkspacesScreen } from "../screens/WorkspacesScreen";
import { LiveRegion } from "./announcer";
import { Avatar } from "./Avatar";
import { ConnectionIndicator } from "./ConnectionIndicator";
import { Inbox } from "./Inbox";
import { Link, matchRoute, navigate, usePath } from "./router";
import { SessionContext, type Session } from "./session";
import { Toasts, toast } from "./toasts";

function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <rect x="7" y="8" width="7" height="16" rx="2" fill="white" />
      <rect x="18" y="8" width="7" height="10" rx="2" fill="white" />
    </svg>
  );
}

function TopBar({ session, path }: { session: Session; path: string }) {
  return (
    <header className="topbar">
      <Link to="/" className="brand" aria-label="Corkboard home">
        <Logo />
        <span>Corkboard</span>
      </Link>
      <nav className="topnav" aria-label="Main">
        <Link to="/" className={path === "/" || path.startsWith("/w/") ? "active" : ""} data-testid="nav-workspaces">
          Workspaces
        </Link>
        <Link to="/tokens" className={path === "/tokens" ? "active" : ""} data-testid="nav-tokens">
          API tokens
        </Link>
      </nav>
      <div className="topbar-spacer" />
      <ConnectionIndicator connection={session.connection} />
      <Inbox connection={session.connection} />
      <div className="user-chip" data-testid="current-user" data-username={session.me.username}>
        <Avatar username={session.me.username} size="sm" />
        <span className="user-name">{session.me.username}</span>
      </div>
      <button type="button" className="btn btn-ghost btn-sm" title={`Log out ${session.me.username}`} onClick={() => void session.logout()} data-testid="logout">
        Log out
      </button>
    </header>
  );
}

function NotFound() {
  return (
    <div className="page narrow empty-state" data-testid="not-found">
      <h1>Nothing here</h1>
      <p>This page does not exist, or you do not have access to it.</p>
      <Link to="/" className="btn btn-primary">
        Back to your workspaces
      </Link>
    </div>
  );
}

export function App() {
  const path = usePath();
  const route = matchRoute(path);
  const [me, setMe] = useState<Me | null | undefined>(undefined);

  useEffect(() => {
    void ensureCsrf();
    auth
      .me()
      .then(setMe)
      .catch((error: unknown) => {
        setMe(null);
        if (!(error instanceof ApiError && (error.status === 401 || error.status === 403))) {
          toast("Could not reach the server.", "error");
        }
      });
  }, []);

  const connection = useMemo(() => {
    if (!me) return null;
    return new Connection({
      url: socketUrl(window.location),
      fetchEvents: (board, after) => boardsApi.events(board, after),
      checkSession: async () => {
        try {
          await auth.me();
          return true;
        } catch (error) {
          return !(error instanceof ApiError && (error.status === 401 || error.status === 403));
        }
      },
      onSessionLost: () => {
        toast("Your session ended (logged out or suspended). Please log in again.", "error");
        setMe(null);
      },
    });
  }, [me]);

  useEffect(() => {
    if (connection === null) return;
    connection.start();
    return () => connection.stop();
  }, [connection]);

  const logout = useCallback(async () => {
    try {
      await auth.logout();
    } catch {
      // Logged out locally either way.
    }
    await ensureCsrf(true);
    setMe(null);
    navigate("/login");
  }, []);

  const session = useMemo<Session | null>(
    () => (me && connection ? { me, connection, logout } : null),
    [me, connection, logout],
  );

  const onLoggedIn = useCallback((user: Me) => {
    setMe(user);
    const next = new URLSearchParams(window.location.search).get("next");
    navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", true);
  }, []);

  // Logged-out visitors of app pages go to the login page, and come back after it.
  useEffect(() => {
    if (me === null && route.name !== "login" && route.name !== "signup") {
      const next = path === "/" ? "" : `?next=${encodeURIComponent(path)}`;
      navigate(`/login${next}`, true);
    }
    if (me && (route.name === "login" || route.name === "signup")) navigate("/", true);
  }, [me, route.name, path]);

  let body;
  if (me === undefined) {
    body = <div className="splash" aria-busy="true">Loading…</div>;
  } else if (session === null) {
    body = route.name === "signup" ? <SignupScreen onDone={onLoggedIn} /> : <LoginScreen onDone={onLoggedIn} />;
  } else {
    let screen;
    switch (route.name) {
      case "workspaces":
        screen = <WorkspacesScreen />;
        break;
      case "workspace":
        screen = <WorkspaceScreen key={route.id} id={route.id} tab={route.tab} />;
        break;
      case "board":
        screen = <BoardScreen key={route.id} id={route.id} card={route.card} activity={route.activity} />;
        break;
      case "tokens":
        screen = <TokensScreen />;
        break;
      default:
        screen = <NotFound />;
    }
    body = (
      <SessionContext.Provider value={session}>
        <div className="shell">
          <a href="#main" className="skip-link">
            Skip to content
          </a>
          <TopBar session={session} path={path} />
          <main id="main" className="main">
            {screen}
          </main>
        </div>
      </SessionContext.Provider>
    );
  }
  return (
    <>
      {body}
      <Toasts />
      <LiveRegion />
    </>
  );
}
