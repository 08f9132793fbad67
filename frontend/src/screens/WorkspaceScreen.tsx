/** One workspace: its boards, its members with their roles, and (admins) its webhooks. */

import { useState, type FormEvent } from "react";

import { errorMessage } from "../api/client";
import { boards as boardsApi, members as membersApi, workspaces as workspacesApi } from "../api/resources";
import { ROLES, type Member, type Role, type Workspace } from "../api/types";
import { Avatar } from "../app/Avatar";
import { Link, navigate } from "../app/router";
import { useSession } from "../app/session";
import { toast } from "../app/toasts";
import { useResource } from "../app/useResource";
import { WebhooksTab } from "./WebhooksTab";

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

function isAdmin(role: Role | null | undefined): boolean {
  return role === "admin" || role === "owner";
}

function BoardsTab({ workspace }: { workspace: Workspace }) {
  const list = useResource(() => boardsApi.list(workspace.id), [workspace.id]);
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return;
    setBusy(true);
    try {
      const board = await boardsApi.create(workspace.id, title.trim());
      setTitle("");
      navigate(`/b/${board.id}`);
    } catch (error) {
      toast(errorMessage(error), "error");
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="boards-heading">
      <h2 id="boards-heading" className="visually-hidden">
        Boards
      </h2>
      {list.loading && <p className="muted">Loading…</p>}
      <ul className="tile-grid" data-testid="board-list">
        {(list.data ?? []).map((board) => (
          <li key={board.id}>
            <Link to={`/b/${board.id}`} className="tile board-tile" data-testid="board-item" data-board-id={board.id}>
              <span className="tile-body">
                <span className="tile-title">{board.title}</span>
                {board.description && <span className="tile-meta">{board.description}</span>}
                {board.locked && <span className="badge badge-warn">Locked</span>}
              </span>
            </Link>
          </li>
        ))}
        {isAdmin(workspace.role) && (
          <li>
            <form className="tile tile-form" onSubmit={create} data-testid="new-board-form">
              <label className="visually-hidden" htmlFor="new-board">
                New board title
              </label>
              <input
                id="new-board"
                placeholder="New board title"
                value={title}
                onChange={(e) => setTitle(e.target.value)}
                maxLength={200}
                data-testid="new-board-input"
              />
              <button type="submit" className="btn btn-primary btn-sm" disabled={busy || !title.trim()} data-testid="new-board-submit">
                Create board
              </button>
            </form>
          </li>
        )}
      </ul>
      {list.data && list.data.length === 0 && !isAdmin(workspace.role) && (
        <p className="muted empty-hint">No boards yet. An admin of this workspace can create one.</p>
      )}
    </section>
  );
}

function MembersTab({ workspace }: { workspace: Workspace }) {
  const { me } = useSession();
  const list = useResource(() => membersApi.list(workspace.id), [workspace.id]);
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<Role>("member");
  const admin = isAdmin(workspace.role);
  const myRank = workspace.role ? RANK[workspace.role] : -1;

  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (!username.trim()) return;
    try {
      const member = await membersApi.add(workspace.id, username.trim(), role);
      list.set((current) => [...(current ?? []).filter((m) => m.user.id !== member.user.id), member]);
      setUsername("");
      toast(`${member.user.username} added as ${member.role}.`, "success");
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  const changeRole = async (member: Member, next: Role) => {
    const previous = member.role;
    list.set((current) => current?.map((m) => (m.user.id === member.user.id ? { ...m, role: next } : m)));
    try {
      const saved = await membersApi.update(workspace.id, member.user.id, next);
      list.set((current) => current?.map((m) => (m.user.id === saved.user.id ? saved : m)));
    } catch (error) {
      list.set((current) => current?.map((m) => (m.user.id === member.user.id ? { ...m, role: previous } : m)));
      toast(errorMessage(error), "error");
    }
  };

  const remove = async (member: Member) => {
    const leaving = member.user.id === me.id;
    const question = leaving ? `Leave ${workspace.name}?` : `Remove ${member.user.username} from ${workspace.name}?`;
    if (!window.confirm(question)) return;
    try {
      await membersApi.remove(workspace.id, member.user.id);
      list.set((current) => current?.filter((m) => m.user.id !== member.user.id));
      if (leaving) navigate("/");
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  const canManage = (member: Member) => admin && RANK[member.role] <= myRank && member.user.id !== me.id;
  const assignable = ROLES.filter((r) => RANK[r] <= myRank);

  return (
    <section aria-labelledby="members-heading" className="members">
      <h2 id="members-heading" className="visually-hidden">
        Members
      </h2>
      {admin && (
        <form className="inline-form card-surface" onSubmit={add} data-testid="add-member-form">
          <label className="field field-inline">
            <span>Username</span>
            <input value={username} onChange={(e) => setUsername(e.target.value)} placeholder="e.g. alice" data-testid="add-member-username" />
          </label>
          <label className="field field-inline">
            <span>Role</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="add-member-role">
              {assignable.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="btn btn-primary" disabled={!username.trim()} data-testid="add-member-submit">
            Add member
          </button>
        </form>
      )}
      <table className="table" data-testid="member-list">
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Role</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((member) => (
            <tr key={member.user.id} data-testid="member-row" data-username={member.user.username}>
              <td>
                <span className="member-cell">
                  <Avatar username={member.user.username} size="sm" />
                  {member.user.username}
                  {member.user.id === me.id && <span className="muted"> (you)</span>}
                </span>
              </td>
              <td>
                {canManage(member) ? (
                  <select
                    value={member.role}
                    aria-label={`Role of ${member.user.username}`}
                    onChange={(e) => void changeRole(member, e.target.value as Role)}
                    data-testid="member-role"
                  >
                    {assignable.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                ) : (
                  <span className={`role role-${member.role}`} data-testid="member-role-label">
                    {member.role}
                  </span>
                )}
              </td>
              <td className="align-right">
                {(canManage(member) || member.user.id === me.id) && (
                  <button type="button" className="btn btn-ghost btn-sm btn-danger-text" onClick={() => void remove(member)} data-testid="member-remove">
                    {member.user.id === me.id ? "Leave" : "Remove"}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function WorkspaceScreen({ id, tab }: { id: number; tab: "boards" | "members" | "webhooks" }) {
  const workspace = useResource(() => workspacesApi.get(id), [id], 60000);
  if (workspace.error && !workspace.data) {
    return (
      <div className="page narrow empty-state" data-testid="not-found">
        <h1>Workspace not found</h1>
        <p>{errorMessage(workspace.error)}</p>
        <Link to="/" className="btn btn-primary">
          Back to your workspaces
        </Link>
      </div>
    );
  }
  const data = workspace.data;
  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/">Workspaces</Link>
        <span aria-hidden="true">/</span>
        <span>{data?.name ?? "…"}</span>
      </nav>
      <div className="page-header">
        <div>
          <h1 data-testid="workspace-name">{data?.name ?? "Loading…"}</h1>
          {data && <p className="muted">Your role: {data.role ?? "moderator"}</p>}
        </div>
      </div>
      <div className="tabs" role="tablist" aria-label="Workspace">
        <Link to={`/w/${id}`} role="tab" aria-selected={tab === "boards"} className={tab === "boards" ? "tab active" : "tab"} data-testid="tab-boards">
          Boards
        </Link>
        <Link
          to={`/w/${id}/members`}
          role="tab"
          aria-selected={tab === "members"}
          className={tab === "members" ? "tab active" : "tab"}
          data-testid="tab-members"
        >
          Members
        </Link>
        {isAdmin(data?.role) && (
          <Link
            to={`/w/${id}/webhooks`}
            role="tab"
            aria-selected={tab === "webhooks"}
            className={tab === "webhooks" ? "tab active" : "tab"}
            data-testid="tab-webhooks"
          >
            Webhooks
          </Link>
        )}
      </div>
      {data && tab === "boards" && <BoardsTab workspace={data} />}
      {data && tab === "members" && <MembersTab workspace={data} />}
      {data &&
        tab === "webhooks" &&
        (isAdmin(data.role) ? (
          <WebhooksTab workspace={data} />
        ) : (
          <p className="muted" data-testid="webhooks-forbidden">
            Only the workspace's owners and admins manage its webhooks.
          </p>
        ))}
    </div>
  );
}
