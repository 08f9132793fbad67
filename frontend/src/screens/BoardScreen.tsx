/** The board: header with presence, columns of cards, the card dialog and the activity feed. */

import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type FormEvent } from "react";

import { boards as boardsApi, comments as commentsApi, workspaces as workspacesApi } from "../api/resources";
import type { Workspace } from "../api/types";
import { announce } from "../app/announcer";
import { hasFeature } from "../app/features";
import { EyeIcon, LockIcon } from "../app/icons";
import { Link, navigate } from "../app/router";
import { useSession } from "../app/session";
import { abilitiesOf } from "../board/abilities";
import { BoardActions } from "../board/actions";
import { ActivityPanel } from "../board/ActivityPanel";
import { CardPanel } from "../board/CardPanel";
import { ColumnView } from "../board/ColumnView";
import { BoardContext, type BoardContextValue } from "../board/context";
import { dragged, dropIndex, endDrag } from "../board/dnd";
import { PresenceBar } from "../board/PresenceBar";
import type { PresenceMember } from "../realtime/protocol";
import { BoardStore, useBoardStore } from "../realtime/store";

function BoardTitle({ actions, title, canEdit }: { actions: BoardActions; title: string; canEdit: boolean }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(title);
  useEffect(() => {
    if (!editing) setDraft(title);
  }, [title, editing]);
  const save = async () => {
    setEditing(false);
    const value = draft.trim();
    if (value && value !== title) await actions.renameBoard(value);
  };
  if (editing) {
    return (
      <input
        className="board-title-input"
        value={draft}
        autoFocus
        maxLength={200}
        aria-label="Board title"
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => void save()}
        onKeyDown={(e) => {
          if (e.key === "Enter") void save();
          if (e.key === "Escape") setEditing(false);
        }}
        data-testid="board-title-input"
      />
    );
  }
  return (
    <h1 className="board-title" data-testid="board-title">
      {canEdit ? (
        <button type="button" className="title-button" onClick={() => setEditing(true)} title="Rename the board">
          {title}
        </button>
      ) : (
        title
      )}
    </h1>
  );
}

function AddColumn({ actions }: { actions: BoardActions }) {
  const [title, setTitle] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return;
    void actions.createColumn(title.trim());
    setTitle("");
  };
  return (
    <form className="add-column" onSubmit={submit}>
      <label className="visually-hidden" htmlFor="new-column">
        Add a column
      </label>
      <input id="new-column" value={title} placeholder="+ Add a column" maxLength={200} onChange={(e) => setTitle(e.target.value)} data-testid="new-column-input" />
      {title.trim() && (
        <button type="submit" className="btn btn-primary btn-sm" data-testid="new-column-submit">
          Add column
        </button>
      )}
    </form>
  );
}

function Gone({ title, text }: { title: string; text: string }) {
  return (
    <div className="page narrow empty-state" data-testid="board-not-found">
      <h1>{title}</h1>
      <p className="muted">{text}</p>
      <Link to="/" className="btn btn-primary">
        Back to your workspaces
      </Link>
    </div>
  );
}

export function BoardScreen({ id, card, activity }: { id: number; card: number | null; activity: boolean }) {
  const { me, connection } = useSession();
  const store = useMemo(
    () =>
      new BoardStore(id, {
        me,
        connection,
        fetchSnapshot: boardsApi.snapshot,
        fetchEvents: (board, after, limit) => boardsApi.events(board, after, limit),
        fetchComments: commentsApi.list,
        announce,
      }),
    [id, me, connection],
  );
  const actions = useMemo(() => new BoardActions(store), [store]);
  const state = useBoardStore(store);
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [focusRequest, setFocusRequest] = useState<string | null>(null);
  const [dropAt, setDropAt] = useState<{ column: number; index: number } | null>(null);
  const [columnDrop, setColumnDrop] = useState<number | null>(null);
  const canvas = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void store.start();
    return () => store.stop();
  }, [store]);

  const workspaceId = state.view?.board.workspace;
  useEffect(() => {
    if (workspaceId === undefined) return;
    workspacesApi.get(workspaceId).then(setWorkspace, () => setWorkspace(null));
  }, [workspaceId]);

  const boardPath = `/b/${id}`;
  const openCard = useCallback((cardId: number) => navigate(`${boardPath}/c/${cardId}`), [boardPath]);
  const closeCard = useCallback(() => navigate(boardPath), [boardPath]);

  const view = state.view;
  const viewersByCard = useMemo(() => {
    const map: Record<number, PresenceMember[]> = {};
    for (const p of state.presence) if (p.card !== null) (map[p.card] ??= []).push(p);
    return map;
  }, [state.presence]);

  const context = useMemo<BoardContextValue | null>(() => {
    if (view === null) return null;
    return {
      store,
      actions,
      view,
      me,
      can: abilitiesOf(view, me),
      viewersByCard,
      flash: state.flash,
      openCard,
      requestFocus: setFocusRequest,
      focusRequest,
    };
  }, [store, actions, view, me, viewersByCard, state.flash, openCard, focusRequest]);

  useEffect(() => {
    if (view) document.title = `${view.board.title} · Corkboard`;
    return () => {
      document.title = "Corkboard";
    };
  }, [view?.board.title]);

  if (state.load === "not_found") {
    return <Gone title="Board not found" text="This board does not exist, or you are not a member of its workspace." />;
  }
  if (state.load === "removed") {
    return <Gone title="You no longer have access" text="You were removed from this board's workspace." />;
  }
  if (state.load === "error") {
    return <Gone title="Could not load the board" text={state.error ?? "Please try again."} />;
  }
  if (context === null || view === null) {
    return (
      <div className="board-loading" aria-busy="true" data-testid="board-loading">
        Loading board…
      </div>
    );
  }
  if (view.deleted) {
    return <Gone title="This board was deleted" text="Someone deleted it while you were looking at it." />;
  }

  const { can } = context;
  // The route may ask for the panel; the feature flag decides whether there is one.
  const activityOn = hasFeature(me, "activity_panel");
  const showActivity = activity && activityOn;

  const onCanvasDragOver = (event: DragEvent) => {
    const item = dragged();
    if (item?.type !== "column" || !can.manageBoard || canvas.current === null) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const at = dropIndex(canvas.current, "section[data-column-id]", item.id, event.clientX, "x");
    if (at !== columnDrop) setColumnDrop(at);
  };

  const onCanvasDrop = (event: DragEvent) => {
    const item = dragged();
    if (item?.type !== "column" || canvas.current === null) return;
    event.preventDefault();
    const at = dropIndex(canvas.current, "section[data-column-id]", item.id, event.clientX, "x");
    setColumnDrop(null);
    endDrag();
    const column = view.columns.find((c) => c.id === item.id);
    if (column) void actions.moveColumn(column, at);
  };

  const draggedColumn = dragged()?.type === "column" ? dragged()?.id : undefined;
  let sibling = 0;

  return (
    <BoardContext.Provider value={context}>
      <div className={`board-page${showActivity ? " with-activity" : ""}`} data-testid="board" data-board-id={id} data-seq={view.seq}>
        <div className="board-header">
          <div className="board-heading">
            <nav className="breadcrumb" aria-label="Breadcrumb">
              <Link to="/">Workspaces</Link>
              <span aria-hidden="true">/</span>
              {workspace ? <Link to={`/w/${workspace.id}`}>{workspace.name}</Link> : <span>…</span>}
            </nav>
            <BoardTitle actions={actions} title={view.board.title} canEdit={can.manageBoard} />
            {view.board.locked && (
              <span className="badge badge-warn" data-testid="locked-badge">
                <LockIcon size={12} /> Locked
              </span>
            )}
            {can.role && (
              <span className={`role role-${can.role}`} data-testid="my-role">
                {can.role}
              </span>
            )}
          </div>
          <div className="board-tools">
            <PresenceBar presence={state.presence} view={view} meId={me.id} />
            {activityOn && (
              <Link to={showActivity ? boardPath : `${boardPath}/activity`} className={`btn btn-sm${showActivity ? " active" : ""}`} data-testid="activity-toggle" aria-pressed={showActivity}>
                Activity
              </Link>
            )}
          </div>
        </div>
        {view.board.locked && (
          <div className="banner banner-warn" role="status" data-testid="locked-banner">
            <LockIcon /> This board is locked: it is read-only{can.manageBoard ? " for members and viewers (as an admin, you can still edit it)" : ""}.
          </div>
        )}
        {can.readOnly === "viewer" && (
          <div className="banner" role="status" data-testid="readonly-banner">
            <EyeIcon /> You are a viewer in this workspace: you can follow the board but not change it.
          </div>
        )}
        {can.readOnly === "outsider" && (
          <div className="banner" role="status" data-testid="readonly-banner">
            <EyeIcon /> You are viewing this board as a moderator; it is read-only for you.
          </div>
        )}
        <p id="card-keyboard-help" className="visually-hidden">
          Press Enter to open the card. {can.editCards ? "Alt+Up and Alt+Down reorder it; Alt+Left and Alt+Right move it to the neighbouring column." : ""}
        </p>
        <div className="board-body">
          <div
            ref={canvas}
            className="board-canvas"
            onDragOver={onCanvasDragOver}
            onDrop={onCanvasDrop}
            onDragLeave={(e) => {
              if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setColumnDrop(null);
            }}
            onDragEnd={() => {
              setDropAt(null);
              setColumnDrop(null);
            }}
            data-testid="board-canvas"
          >
            {view.columns.map((column, index) => {
              const indicator = columnDrop !== null && column.id !== draggedColumn && columnDrop === sibling;
              if (column.id !== draggedColumn) sibling += 1;
              return (
                <div key={column.id} className="column-slot">
                  {indicator && <div className="column-drop-indicator" aria-hidden="true" />}
                  <ColumnView column={column} index={index} dropAt={dropAt} setDropAt={setDropAt} />
                </div>
              );
            })}
            {columnDrop !== null && columnDrop === sibling && <div className="column-drop-indicator" aria-hidden="true" />}
            {can.manageBoard && <AddColumn actions={actions} />}
            {view.columns.length === 0 && !can.manageBoard && <p className="muted empty-hint">This board has no columns yet.</p>}
          </div>
          {showActivity && <ActivityPanel items={state.activity} loaded={state.activityLoaded} onClose={() => navigate(boardPath)} />}
        </div>
        {card !== null && <CardPanel key={card} cardId={card} onClose={closeCard} />}
      </div>
    </BoardContext.Provider>
  );
}
