/** The card dialog's side: move, labels, assignees, due date and card actions. */

import { useState, type FormEvent } from "react";

import type { Card } from "../api/types";
import { Avatar } from "../app/Avatar";
import { useBoard } from "./context";
import { fromDateInput, toDateInput } from "./dates";

const LABEL_COLORS = ["#e03131", "#f08c00", "#f5c400", "#2f9e44", "#1c7ed6", "#5b5bd6", "#ae3ec9", "#868e96"];

function MoveControl({ card }: { card: Card }) {
  const { view, actions, can } = useBoard();
  const [columnId, setColumnId] = useState(card.column);
  const target = view.cardsByColumn[columnId] ?? [];
  const others = target.filter((c) => c.id !== card.id);
  const currentIndex = target.findIndex((c) => c.id === card.id);
  const [position, setPosition] = useState(currentIndex === -1 ? others.length : currentIndex);
  if (!can.editCards) return null;
  const positions = others.length + 1;
  return (
    <div className="side-group" data-testid="card-move">
      <h4>Move</h4>
      <label className="field field-compact">
        <span>Column</span>
        <select
          value={columnId}
          onChange={(e) => {
            const id = Number(e.target.value);
            setColumnId(id);
            const list = (view.cardsByColumn[id] ?? []).filter((c) => c.id !== card.id);
            setPosition(id === card.column ? Math.max(0, currentIndex) : list.length);
          }}
          data-testid="card-move-column"
        >
          {view.columns.map((c) => (
            <option key={c.id} value={c.id}>
              {c.title}
            </option>
          ))}
        </select>
      </label>
      <label className="field field-compact">
        <span>Position</span>
        <select value={position} onChange={(e) => setPosition(Number(e.target.value))} data-testid="card-move-position">
          {Array.from({ length: positions }, (_, i) => (
            <option key={i} value={i}>
              {i + 1}
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="btn btn-sm btn-block" onClick={() => void actions.moveCard(card, columnId, position)} data-testid="card-move-submit">
        Move card
      </button>
    </div>
  );
}

function LabelControl({ card }: { card: Card }) {
  const { view, actions, can } = useBoard();
  const [name, setName] = useState("");
  const [color, setColor] = useState(LABEL_COLORS[4]!);
  const [adding, setAdding] = useState(false);

  const toggle = (id: number) => {
    const labels = card.labels.includes(id) ? card.labels.filter((l) => l !== id) : [...card.labels, id];
    void actions.updateCard(card, { labels }, "Could not change the labels");
  };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    const id = await actions.createLabel(name.trim(), color);
    if (id !== null) {
      setName("");
      setAdding(false);
      void actions.updateCard(card, { labels: [...card.labels, id] }, "Could not add the label");
    }
  };

  return (
    <div className="side-group" data-testid="card-labels">
      <h4>Labels</h4>
      {view.labels.length === 0 && <p className="muted small">No labels on this board yet.</p>}
      <ul className="choice-list">
        {view.labels.map((label) => {
          const on = card.labels.includes(label.id);
          return (
            <li key={label.id}>
              <button
                type="button"
                className={`choice${on ? " on" : ""}`}
                aria-pressed={on}
                disabled={!can.editCards}
                onClick={() => toggle(label.id)}
                data-testid="label-option"
                data-label-id={label.id}
              >
                <span className="swatch" style={{ background: label.color }} aria-hidden="true" />
                <span className="choice-text">{label.name}</span>
                {on && <span aria-hidden="true">✓</span>}
              </button>
            </li>
          );
        })}
      </ul>
      {can.manageBoard &&
        (adding ? (
          <form className="label-form" onSubmit={create}>
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Label name" maxLength={50} autoFocus aria-label="Label name" data-testid="new-label-name" />
            <div className="swatches" role="radiogroup" aria-label="Label colour">
              {LABEL_COLORS.map((c) => (
                <button
                  key={c}
                  type="button"
                  role="radio"
                  aria-checked={c === color}
                  aria-label={c}
                  className={`swatch-button${c === color ? " on" : ""}`}
                  style={{ background: c }}
                  onClick={() => setColor(c)}
                />
              ))}
            </div>
            <div className="row-gap">
              <button type="submit" className="btn btn-sm btn-primary" disabled={!name.trim()} data-testid="new-label-submit">
                Create
              </button>
              <button type="button" className="btn btn-sm btn-ghost" onClick={() => setAdding(false)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <button type="button" className="link-button" onClick={() => setAdding(true)} data-testid="new-label">
            + New label
          </button>
        ))}
    </div>
  );
}

function AssigneeControl({ card }: { card: Card }) {
  const { view, actions, can } = useBoard();
  const toggle = (id: number) => {
    const assignees = card.assignees.includes(id) ? card.assignees.filter((a) => a !== id) : [...card.assignees, id];
    void actions.updateCard(card, { assignees }, "Could not change the assignees");
  };
  return (
    <div className="side-group" data-testid="card-assignees">
      <h4>Assignees</h4>
      <ul className="choice-list">
        {view.members.map((member) => {
          const on = card.assignees.includes(member.user.id);
          if (!can.editCards && !on) return null;
          return (
            <li key={member.user.id}>
              <button
                type="button"
                className={`choice${on ? " on" : ""}`}
                aria-pressed={on}
                disabled={!can.editCards}
                onClick={() => toggle(member.user.id)}
                data-testid="assignee-option"
                data-username={member.user.username}
              >
                <Avatar username={member.user.username} size="sm" />
                <span className="choice-text">{member.user.username}</span>
                {on && <span aria-hidden="true">✓</span>}
              </button>
            </li>
          );
        })}
      </ul>
      {!can.editCards && card.assignees.length === 0 && <p className="muted small">Nobody.</p>}
    </div>
  );
}

function DueControl({ card }: { card: Card }) {
  const { actions, can } = useBoard();
  const value = toDateInput(card.due_at);
  return (
    <div className="side-group" data-testid="card-due-control">
      <h4>Due date</h4>
      {!can.editCards ? (
        <p className="muted small" data-testid="card-due-text">
          {value || "None."}
        </p>
      ) : (
      <div className="row-gap">
        <input
          type="date"
          value={value}
          aria-label="Due date"
          onChange={(e) => void actions.updateCard(card, { due_at: fromDateInput(e.target.value) }, "Could not set the due date")}
          data-testid="card-due-input"
        />
        {value && (
          <button type="button" className="link-button" onClick={() => void actions.updateCard(card, { due_at: null }, "Could not clear the due date")}>
            Clear
          </button>
        )}
      </div>
      )}
    </div>
  );
}

export function CardSidebar({ card, onClose }: { card: Card; onClose: () => void }) {
  const { actions, can } = useBoard();
  const [reporting, setReporting] = useState(false);
  const [reason, setReason] = useState("");
  return (
    <aside className="panel-side" aria-label="Card details">
      <MoveControl key={`${card.column}:${card.position}`} card={card} />
      <LabelControl card={card} />
      <AssigneeControl card={card} />
      <DueControl card={card} />
      <div className="side-group">
        <h4>Actions</h4>
        {can.editCards && (
          <>
            <button
              type="button"
              className="btn btn-sm btn-block"
              onClick={async () => {
                if (await actions.archiveCard(card)) onClose();
              }}
              data-testid="card-archive"
            >
              Archive
            </button>
            <button
              type="button"
              className="btn btn-sm btn-block btn-danger"
              onClick={async () => {
                if (window.confirm(`Delete “${card.title}” and its comments for good?`) && (await actions.deleteCard(card))) onClose();
              }}
              data-testid="card-delete"
            >
              Delete
            </button>
          </>
        )}
        {can.role !== null &&
          (reporting ? (
            <form
              className="report-form vertical"
              onSubmit={async (e) => {
                e.preventDefault();
                if (reason.trim() && (await actions.report("card", card.id, reason.trim()))) {
                  setReporting(false);
                  setReason("");
                }
              }}
            >
              <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Why report this card?" autoFocus aria-label="Report reason" data-testid="report-reason" />
              <button type="submit" className="btn btn-sm btn-primary" disabled={!reason.trim()} data-testid="report-submit">
                Send report
              </button>
            </form>
          ) : (
            <button type="button" className="btn btn-sm btn-block btn-ghost" onClick={() => setReporting(true)} data-testid="card-report">
              Report card
            </button>
          ))}
      </div>
    </aside>
  );
}
