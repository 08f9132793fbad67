/** A workspace's webhooks (owners and admins): add, turn on and off, rotate, deliveries. */

import { useState, type FormEvent } from "react";

import { errorMessage } from "../api/client";
import { boards as boardsApi, webhooks as webhooksApi } from "../api/resources";
import type { Board, Webhook, WebhookDelivery, Workspace } from "../api/types";
import { toast } from "../app/toasts";
import { useResource } from "../app/useResource";
import { attemptsText, eventTypeGroups, eventTypesText, formatMoment, lastAttemptText, toggleEventType } from "../app/webhooks";
import type { EventName } from "../realtime/protocol";

const STATES = ["", "pending", "delivered", "failed"] as const;
type StateFilter = (typeof STATES)[number];

function SecretCallout({ hook, rotated, onDismiss }: { hook: Webhook; rotated: boolean; onDismiss: () => void }) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(hook.secret ?? "");
      toast("Secret copied.", "success");
    } catch {
      toast("Copy failed: select the secret and copy it by hand.", "error");
    }
  };
  return (
    <div className="callout callout-success" role="status" data-testid="webhook-secret-callout">
      <strong>{rotated ? "New signing secret" : "Webhook added"} for {hook.url}.</strong> Copy the secret now: it will not be
      shown again.
      {rotated && (
        <>
          {" "}
          The previous secret keeps signing deliveries beside the new one for 24 hours
          {hook.previous_secret_expires_at && <> (until {formatMoment(hook.previous_secret_expires_at)})</>}, so switch the
          receiver over before then.
        </>
      )}
      <div className="token-secret">
        <code data-testid="webhook-secret">{hook.secret}</code>
        <button type="button" className="btn btn-sm" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <button type="button" className="link-button" onClick={onDismiss}>
        I have saved it
      </button>
    </div>
  );
}

function Replay({ workspace, hook, boards, onQueued }: { workspace: Workspace; hook: Webhook; boards: Board[]; onQueued: () => void }) {
  const [board, setBoard] = useState("");
  const [since, setSince] = useState("0");
  const chosen = board || String(boards[0]?.id ?? "");
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const { queued } = await webhooksApi.redeliverSince(workspace.id, hook.id, { board: Number(chosen), since: Number(since) });
      const title = boards.find((b) => String(b.id) === chosen)?.title ?? "the board";
      toast(`${queued} ${queued === 1 ? "event" : "events"} of ${title} queued again.`, "success");
      onQueued();
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };
  if (boards.length === 0) return null;
  return (
    <form className="webhook-replay" onSubmit={submit} data-testid="webhook-replay">
      <span className="muted">Send again every event of</span>
      <select value={chosen} onChange={(e) => setBoard(e.target.value)} aria-label="Board" data-testid="webhook-replay-board">
        {boards.map((b) => (
          <option key={b.id} value={b.id}>
            {b.title}
          </option>
        ))}
      </select>
      <label className="check">
        <span className="muted">after seq</span>
        <input
          type="number"
          min={0}
          value={since}
          onChange={(e) => setSince(e.target.value)}
          className="webhook-replay-since"
          data-testid="webhook-replay-since"
        />
      </label>
      <button type="submit" className="btn btn-sm" disabled={!chosen || since === "" || Number(since) < 0} data-testid="webhook-replay-submit">
        Redeliver
      </button>
    </form>
  );
}

function Deliveries({ workspace, hook }: { workspace: Workspace; hook: Webhook }) {
  const boards = useResource(() => boardsApi.list(workspace.id), [workspace.id]);
  const boardTitle = (id: number) => boards.data?.find((b) => b.id === id)?.title;
  const [state, setState] = useState<StateFilter>("");
  const list = useResource(() => webhooksApi.deliveries(workspace.id, hook.id, state), [workspace.id, hook.id, state]);
  const redeliver = async (delivery: WebhookDelivery) => {
    try {
      const again = await webhooksApi.redeliver(workspace.id, hook.id, delivery.id);
      list.set((page) => page && { ...page, results: page.results.map((d) => (d.id === again.id ? again : d)) });
      toast(`${delivery.event_name} #${delivery.seq} queued again.`, "success");
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };
  const rows = list.data?.results ?? [];
  return (
    <div className="webhook-deliveries" data-testid="webhook-deliveries">
      <div className="webhook-deliveries-head">
        <strong>Recent deliveries</strong>
        <select
          value={state}
          onChange={(e) => setState(e.target.value as StateFilter)}
          aria-label="Show deliveries"
          data-testid="deliveries-state"
        >
          {STATES.map((each) => (
            <option key={each} value={each}>
              {each || "all states"}
            </option>
          ))}
        </select>
        <button type="button" className="btn btn-sm" onClick={() => list.reload()} data-testid="deliveries-refresh">
          Refresh
        </button>
      </div>
      {list.error != null && (
        <p className="form-error" role="alert">
          {errorMessage(list.error)}
        </p>
      )}
      <Replay workspace={workspace} hook={hook} boards={boards.data ?? []} onQueued={() => list.reload()} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">State</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last attempt</th>
            <th scope="col">Time</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((delivery) => (
            <tr key={delivery.id} data-testid="delivery-row" data-state={delivery.state} data-message-id={delivery.message_id}>
              <td>
                <code>{delivery.event_name}</code> <span className="muted">#{delivery.seq}</span>
                {boardTitle(delivery.board) && <div className="muted">{boardTitle(delivery.board)}</div>}
              </td>
              <td>
                <span className={`badge delivery-${delivery.state}`}>{delivery.state}</span>
              </td>
              <td data-testid="delivery-attempts">{attemptsText(delivery)}</td>
              <td className="muted">{lastAttemptText(delivery)}</td>
              <td title={delivery.created_at}>{formatMoment(delivery.created_at)}</td>
              <td className="align-right">
                <button type="button" className="btn btn-ghost btn-sm" onClick={() => void redeliver(delivery)} data-testid="delivery-redeliver">
                  Redeliver
                </button>
              </td>
            </tr>
          ))}
          {list.data && rows.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                {state ? `No ${state} deliveries.` : "Nothing sent yet: deliveries appear as the boards change."}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function WebhooksTab({ workspace }: { workspace: Workspace }) {
  const list = useResource(() => webhooksApi.list(workspace.id), [workspace.id]);
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [everything, setEverything] = useState(true);
  const [chosen, setChosen] = useState<EventName[]>([]);
  const [shown, setShown] = useState<{ hook: Webhook; rotated: boolean } | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [formError, setFormError] = useState("");

  const replace = (hook: Webhook) => list.set((current) => current?.map((h) => (h.id === hook.id ? { ...hook, secret: undefined } : h)));

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setFormError("");
    try {
      const hook = await webhooksApi.create(workspace.id, {
        url: url.trim(),
        event_types: everything ? ["*"] : chosen,
        description: description.trim(),
      });
      setShown({ hook, rotated: false });
      setUrl("");
      setDescription("");
      setEverything(true);
      setChosen([]);
      list.set((current) => [...(current ?? []), { ...hook, secret: undefined }]);
    } catch (error) {
      setFormError(errorMessage(error));
    }
  };

  const toggle = async (hook: Webhook) => {
    try {
      replace(await webhooksApi.update(workspace.id, hook.id, { active: !hook.active }));
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  const rotate = async (hook: Webhook) => {
    if (!window.confirm(`Issue a new signing secret for ${hook.url}?`)) return;
    try {
      const rotated = await webhooksApi.rotateSecret(workspace.id, hook.id);
      setShown({ hook: rotated, rotated: true });
      replace(rotated);
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  const remove = async (hook: Webhook) => {
    if (!window.confirm(`Delete the webhook ${hook.url}? It stops receiving events at once.`)) return;
    try {
      await webhooksApi.remove(workspace.id, hook.id);
      list.set((current) => current?.filter((h) => h.id !== hook.id));
      setShown((current) => (current?.hook.id === hook.id ? null : current));
      if (open === hook.id) setOpen(null);
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  return (
    <section aria-labelledby="webhooks-heading" className="webhooks">
      <h2 id="webhooks-heading" className="visually-hidden">
        Webhooks
      </h2>
      <p className="muted">
        Each change on this workspace's boards is POSTed to these URLs as JSON, signed per Standard Webhooks (<code>webhook-id</code>,{" "}
        <code>webhook-timestamp</code>, <code>webhook-signature</code>), in order per board, retried for about a day.
      </p>
      {shown && <SecretCallout hook={shown.hook} rotated={shown.rotated} onDismiss={() => setShown(null)} />}
      <form className="card-surface form" onSubmit={create} data-testid="webhook-form">
        <div className="form-row">
          <label className="field grow">
            <span>Receiver URL</span>
            <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/corkboard" maxLength={2000} data-testid="webhook-url" />
          </label>
          <label className="field grow">
            <span>Description (optional)</span>
            <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={200} data-testid="webhook-description" />
          </label>
        </div>
        <fieldset className="webhook-events">
          <legend>Events</legend>
          <label className="check">
            <input type="checkbox" checked={everything} onChange={() => setEverything(!everything)} data-testid="webhook-all-events" />
            Every event, including those added later
          </label>
          {!everything && (
            <div className="webhook-event-groups">
              {eventTypeGroups().map(([subject, names]) => (
                <div key={subject} className="webhook-event-group">
                  {names.map((name) => (
                    <label key={name} className="check">
                      <input
                        type="checkbox"
                        checked={chosen.includes(name)}
                        onChange={() => setChosen((c) => toggleEventType(c, name))}
                        data-testid={`webhook-event-${name}`}
                      />
                      <code>{name}</code>
                    </label>
                  ))}
                </div>
              ))}
            </div>
          )}
        </fieldset>
        {formError && (
          <p className="form-error" role="alert" data-testid="webhook-error">
            {formError}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={!url.trim() || (!everything && chosen.length === 0)} data-testid="webhook-create">
          Add webhook
        </button>
      </form>
      {list.error != null && (
        <p className="form-error" role="alert">
          {errorMessage(list.error)}
        </p>
      )}
      <ul className="webhook-list">
        {(list.data ?? []).map((hook) => (
          <li key={hook.id} className="card-surface webhook" data-testid="webhook-row" data-webhook-id={hook.id} data-active={hook.active}>
            <div className="form-row">
              <div className="grow">
                <strong className="mono">{hook.url}</strong>
                {hook.description && <div className="muted">{hook.description}</div>}
                <div className="muted">
                  {eventTypesText(hook.event_types)}
                  {hook.failures_in_a_row > 0 && (
                    <span className="webhook-failures" data-testid="webhook-failures">
                      {" "}
                      · {hook.failures_in_a_row} failed {hook.failures_in_a_row === 1 ? "attempt" : "attempts"} in a row
                    </span>
                  )}
                </div>
                {!hook.active && hook.disabled_reason && (
                  <div className="callout callout-warn" data-testid="webhook-disabled">
                    Turned off by Corkboard: {hook.disabled_reason}
                  </div>
                )}
              </div>
              <span className={hook.active ? "badge badge-on" : "badge badge-warn"} data-testid="webhook-state">
                {hook.active ? "on" : "off"}
              </span>
            </div>
            <div className="form-row">
              <button type="button" className="btn btn-sm" onClick={() => void toggle(hook)} data-testid="webhook-toggle">
                {hook.active ? "Turn off" : "Turn on"}
              </button>
              <button type="button" className="btn btn-sm" onClick={() => void rotate(hook)} data-testid="webhook-rotate">
                Rotate secret
              </button>
              <button type="button" className="btn btn-sm" onClick={() => setOpen(open === hook.id ? null : hook.id)} aria-expanded={open === hook.id} data-testid="webhook-show-deliveries">
                Deliveries
              </button>
              <button type="button" className="btn btn-ghost btn-sm btn-danger-text" onClick={() => void remove(hook)} data-testid="webhook-delete">
                Delete
              </button>
            </div>
            {open === hook.id && <Deliveries workspace={workspace} hook={hook} />}
          </li>
        ))}
        {list.data && list.data.length === 0 && <li className="muted">No webhooks yet.</li>}
      </ul>
    </section>
  );
}
