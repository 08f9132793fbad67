/** The user's workspaces, and a form to create one. */

import { useState, type FormEvent } from "react";

import { errorMessage } from "../api/client";
import { workspaces as workspacesApi } from "../api/resources";
import type { Workspace } from "../api/types";
import { avatarColor } from "../app/Avatar";
import { Link, navigate } from "../app/router";
import { toast } from "../app/toasts";
import { useResource } from "../app/useResource";

export function WorkspacesScreen() {
  const list = useResource(() => workspacesApi.list(), []);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const value = name.trim();
    if (!value) return;
    setBusy(true);
    try {
      const workspace = await workspacesApi.create(value);
      setName("");
      list.set((current) => [...(current ?? []), workspace]);
      navigate(`/w/${workspace.id}`);
    } catch (error) {
      toast(errorMessage(error), "error");
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Workspaces</h1>
          <p className="muted">Each workspace holds boards and the people who share them.</p>
        </div>
      </div>
      {list.loading && <p className="muted">Loading…</p>}
      {list.error !== null && !list.data && <p className="form-error">{errorMessage(list.error)}</p>}
      <ul className="tile-grid" data-testid="workspace-list">
        {(list.data ?? []).map((workspace: Workspace) => (
          <li key={workspace.id}>
            <Link
              to={`/w/${workspace.id}`}
              className="tile"
              data-testid="workspace-item"
              data-workspace-id={workspace.id}
            >
              <span className="tile-mark" style={{ background: avatarColor(workspace.name) }} aria-hidden="true">
                {workspace.name.slice(0, 1).toUpperCase()}
              </span>
              <span className="tile-body">
                <span className="tile-title">{workspace.name}</span>
                <span className="tile-meta">{workspace.role ?? "moderator"}</span>
              </span>
            </Link>
          </li>
        ))}
        <li>
          <form className="tile tile-form" onSubmit={create} data-testid="new-workspace-form">
            <label className="visually-hidden" htmlFor="new-workspace">
              New workspace name
            </label>
            <input
              id="new-workspace"
              placeholder="New workspace name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={100}
              data-testid="new-workspace-input"
            />
            <button type="submit" className="btn btn-primary btn-sm" disabled={busy || !name.trim()} data-testid="new-workspace-submit">
              Create
            </button>
          </form>
        </li>
      </ul>
      {list.data && list.data.length === 0 && (
        <p className="muted empty-hint">You are not in any workspace yet. Create one, or ask an admin to add you.</p>
      )}
    </div>
  );
}
