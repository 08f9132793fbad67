/** Personal API tokens: create one (its secret is shown once), list and revoke. */

import { useState, type FormEvent } from "react";

import { errorMessage } from "../api/client";
import { tokens as tokensApi } from "../api/resources";
import type { ApiToken } from "../api/types";
import { toast } from "../app/toasts";
import { useResource } from "../app/useResource";
import { formatDate } from "../board/dates";

function CreatedToken({ token, onDismiss }: { token: ApiToken; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token ?? "");
      setCopied(true);
    } catch {
      toast("Copy failed: select the token and copy it by hand.", "error");
    }
  };
  return (
    <div className="callout callout-success" role="status" data-testid="new-token">
      <strong>Token “{token.name}” created.</strong> Copy it now: it will not be shown again.
      <div className="token-secret">
        <code data-testid="new-token-value">{token.token}</code>
        <button type="button" className="btn btn-sm" onClick={() => void copy()} data-testid="copy-token">
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <button type="button" className="link-button" onClick={onDismiss}>
        I have saved it
      </button>
    </div>
  );
}

export function TokensScreen() {
  const list = useResource(() => tokensApi.list(), [], 60000);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["read"]);
  const [expires, setExpires] = useState("");
  const [created, setCreated] = useState<ApiToken | null>(null);

  const toggleScope = (scope: string) =>
    setScopes((current) => (current.includes(scope) ? current.filter((s) => s !== scope) : [...current, scope]));

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim() || scopes.length === 0) return;
    try {
      const expiresAt = expires ? new Date(`${expires}T23:59:59`).toISOString() : null;
      const token = await tokensApi.create(name.trim(), scopes, expiresAt);
      setCreated(token);
      setName("");
      list.set((current) => [{ ...token, token: undefined }, ...(current ?? [])]);
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  const revoke = async (token: ApiToken) => {
    if (!window.confirm(`Revoke “${token.name}”? Scripts using it stop working at once.`)) return;
    try {
      await tokensApi.revoke(token.id);
      list.set((current) => current?.filter((t) => t.id !== token.id));
      toast(`Token “${token.name}” revoked.`, "success");
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  const active = (list.data ?? []).filter((t) => !t.revoked);
  return (
    <div className="page narrow">
      <div className="page-header">
        <div>
          <h1>API tokens</h1>
          <p className="muted">
            Scripts and integrations send a token as <code>Authorization: Bearer &lt;token&gt;</code>. Their changes show up live on every open board.
          </p>
        </div>
      </div>
      {created && <CreatedToken token={created} onDismiss={() => setCreated(null)} />}
      <form className="card-surface form token-form" onSubmit={create} data-testid="new-token-form">
        <div className="form-row">
          <label className="field grow">
            <span>Name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. CI deploy bot" maxLength={100} data-testid="token-name" />
          </label>
          <label className="field">
            <span>Expires (optional)</span>
            <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} data-testid="token-expires" />
          </label>
        </div>
        <fieldset className="scopes">
          <legend>Scopes</legend>
          {["read", "write"].map((scope) => (
            <label key={scope} className="check">
              <input type="checkbox" checked={scopes.includes(scope)} onChange={() => toggleScope(scope)} data-testid={`token-scope-${scope}`} />
              {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="btn btn-primary" disabled={!name.trim() || scopes.length === 0} data-testid="token-create">
          Create token
        </button>
      </form>
      <table className="table" data-testid="token-list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {active.map((token) => (
            <tr key={token.id} data-testid="token-row" data-token-id={token.id}>
              <td>
                <strong>{token.name}</strong>
                {token.prefix && <div className="muted mono">{token.prefix}…</div>}
              </td>
              <td>{token.scopes.join(", ")}</td>
              <td>{token.created_at ? formatDate(token.created_at) : "—"}</td>
              <td>{token.expires_at ? formatDate(token.expires_at) : "never"}</td>
              <td>{token.last_used_at ? formatDate(token.last_used_at) : "never"}</td>
              <td className="align-right">
                <button type="button" className="btn btn-ghost btn-sm btn-danger-text" onClick={() => void revoke(token)} data-testid="token-revoke">
                  Revoke
                </button>
              </td>
            </tr>
          ))}
          {list.data && active.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No tokens yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
