/** A card on the board: draggable, focusable, movable with Alt+Arrow keys. */

import { useEffect, useRef, type KeyboardEvent } from "react";

import type { Card } from "../api/types";
import { announce } from "../app/announcer";
import { Avatar } from "../app/Avatar";
import { ClockIcon, TextIcon } from "../app/icons";
import { useBoard } from "./context";
import { dueState, formatShort } from "./dates";
import { endDrag, startDrag } from "./dnd";

export function CardTile({ card, index }: { card: Card; index: number }) {
  const { view, can, actions, openCard, viewersByCard, flash, requestFocus, focusRequest, me } = useBoard();
  const ref = useRef<HTMLLIElement>(null);
  const key = `card:${card.id}`;
  const pending = card.id < 0;

  useEffect(() => {
    if (focusRequest === key) ref.current?.focus();
  }, [focusRequest, key]);

  // Highlight a card someone else just changed, once per change.
  const flashSeq = flash[card.id];
  useEffect(() => {
    if (flashSeq === undefined || typeof ref.current?.animate !== "function") return;
    ref.current.animate(
      [{ boxShadow: "0 0 0 3px rgba(245, 159, 0, 0.75)" }, { boxShadow: "0 0 0 3px rgba(245, 159, 0, 0)" }],
      { duration: 1600, easing: "ease-out" },
    );
  }, [flashSeq]);

  const move = async (columnId: number, toIndex: number) => {
    const column = view.columns.find((c) => c.id === columnId);
    requestFocus(key);
    const ok = await actions.moveCard(card, columnId, toIndex);
    requestFocus(key);
    if (ok && column) {
      const count = (view.cardsByColumn[columnId] ?? []).filter((c) => c.id !== card.id).length + 1;
      announce(`Moved “${card.title}” to ${column.title}, position ${Math.min(toIndex, count - 1) + 1} of ${count}`);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLLIElement>) => {
    if (event.target !== event.currentTarget) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openCard(card.id);
      return;
    }
    if (!event.altKey || !can.editCards || pending) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        // Plain arrows walk between cards of the column.
        event.preventDefault();
        const sibling = event.key === "ArrowDown" ? ref.current?.nextElementSibling : ref.current?.previousElementSibling;
        if (sibling instanceof HTMLElement && sibling.dataset.cardId) sibling.focus();
      }
      return;
    }
    const columnIndex = view.columns.findIndex((c) => c.id === card.column);
    const cards = view.cardsByColumn[card.column] ?? [];
    switch (event.key) {
      case "ArrowUp":
        event.preventDefault();
        if (index > 0) void move(card.column, index - 1);
        break;
      case "ArrowDown":
        event.preventDefault();
        if (index < cards.length - 1) void move(card.column, index + 1);
        break;
      case "ArrowLeft":
      case "ArrowRight": {
        event.preventDefault();
        const target = view.columns[columnIndex + (event.key === "ArrowLeft" ? -1 : 1)];
        if (target) void move(target.id, Math.min(index, (view.cardsByColumn[target.id] ?? []).length));
        break;
      }
    }
  };

  const labels = card.labels.map((id) => view.labelsById[id]).filter((l) => l !== undefined);
  const assignees = card.assignees.map((id) => view.membersById[id]?.user).filter((u) => u !== undefined);
  const viewers = (viewersByCard[card.id] ?? []).filter((p) => p.user.id !== me.id);
  const due = card.due_at ? dueState(card.due_at) : null;

  return (
    <li
      ref={ref}
      className={`card${pending ? " card-pending" : ""}`}
      tabIndex={0}
      draggable={can.editCards && !pending}
      onDragStart={(event) => startDrag(event, { type: "card", id: card.id })}
      onDragEnd={endDrag}
      onClick={() => !pending && openCard(card.id)}
      onKeyDown={onKeyDown}
      data-testid="card"
      data-card-id={card.id}
      data-column-id={card.column}
      data-version={card.version}
      aria-label={`${card.title}${labels.length ? `, labels: ${labels.map((l) => l.name).join(", ")}` : ""}`}
      aria-describedby="card-keyboard-help"
    >
      {labels.length > 0 && (
        <div className="card-labels">
          {labels.map((label) => (
            <span key={label.id} className="label-chip" style={{ background: label.color }} title={label.name} data-testid="card-label">
              {label.name}
            </span>
          ))}
        </div>
      )}
      <div className="card-title" data-testid="card-title">
        {card.title}
      </div>
      {(due || card.description || assignees.length > 0 || viewers.length > 0) && (
        <div className="card-meta">
          {due && card.due_at && (
            <span className={`badge due-${due}`} title={`Due ${new Date(card.due_at).toLocaleString()}`} data-testid="card-due">
              <ClockIcon size={12} /> {formatShort(card.due_at)}
            </span>
          )}
          {card.description && (
            <span className="badge badge-plain" title="Has a description" data-testid="card-description-icon">
              <TextIcon size={13} label="Has a description" />
            </span>
          )}
          <span className="card-meta-spacer" />
          {viewers.map((p) => (
            <Avatar
              key={`v${p.user.id}`}
              username={p.user.username}
              size="sm"
              ring
              title={`${p.user.username} is ${p.state === "editing" ? "editing" : "viewing"} this card`}
              testId="card-presence"
            />
          ))}
          {assignees.map((user) => (
            <Avatar key={user.id} username={user.username} size="sm" title={`Assigned to ${user.username}`} testId="card-assignee" />
          ))}
        </div>
      )}
    </li>
  );
}
