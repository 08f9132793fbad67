/** A column: its header (rename, move, delete), its cards (a drop zone) and the card composer. */

import { useEffect, useRef, useState, type DragEvent, type FormEvent, type KeyboardEvent } from "react";

import type { Column } from "../api/types";
import { announce } from "../app/announcer";
import { CardTile } from "./CardTile";
import { useBoard } from "./context";
import { dragged, dropIndex, endDrag, startDrag } from "./dnd";
import { Menu } from "./Menu";

function ColumnTitle({ column, editing, setEditing }: { column: Column; editing: boolean; setEditing: (v: boolean) => void }) {
  const { actions, can } = useBoard();
  const [draft, setDraft] = useState(column.title);
  useEffect(() => {
    if (!editing) setDraft(column.title);
  }, [column.title, editing]);

  const save = () => {
    setEditing(false);
    const title = draft.trim();
    if (title && title !== column.title) void actions.renameColumn(column, title);
  };

  if (editing && can.manageBoard) {
    return (
      <input
        className="column-title-input"
        value={draft}
        autoFocus
        maxLength={200}
        aria-label="Column title"
        onChange={(e) => setDraft(e.target.value)}
        onBlur={save}
        onKeyDown={(e) => {
          if (e.key === "Enter") save();
          if (e.key === "Escape") {
            setDraft(column.title);
            setEditing(false);
          }
        }}
        data-testid="column-title-input"
      />
    );
  }
  return (
    <h2 className="column-title" data-testid="column-title" onDoubleClick={() => can.manageBoard && setEditing(true)}>
      {column.title}
    </h2>
  );
}

function CardComposer({ column }: { column: Column }) {
  const { actions } = useBoard();
  const [title, setTitle] = useState("");
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const value = title.trim();
    if (!value) return;
    setTitle("");
    void actions.createCard(column.id, value);
  };
  return (
    <form className="card-composer" onSubmit={submit}>
      <label className="visually-hidden" htmlFor={`new-card-${column.id}`}>
        Add a card to {column.title}
      </label>
      <input
        id={`new-card-${column.id}`}
        value={title}
        placeholder="+ Add a card"
        maxLength={500}
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={(e) => e.key === "Escape" && setTitle("")}
        data-testid="new-card-input"
      />
      {title.trim() && (
        <button type="submit" className="btn btn-primary btn-sm" data-testid="new-card-submit">
          Add
        </button>
      )}
    </form>
  );
}

export function ColumnView({ column, index, dropAt, setDropAt }: {
  column: Column;
  index: number;
  dropAt: { column: number; index: number } | null;
  setDropAt: (value: { column: number; index: number } | null) => void;
}) {
  const { view, can, actions, requestFocus, focusRequest } = useBoard();
  const [editing, setEditing] = useState(false);
  const listRef = useRef<HTMLOListElement>(null);
  const headerRef = useRef<HTMLElement>(null);
  const cards = view.cardsByColumn[column.id] ?? [];
  const pending = column.id < 0;
  const focusKey = `column:${column.id}`;

  useEffect(() => {
    if (focusRequest === focusKey) headerRef.current?.focus();
  }, [focusRequest, focusKey]);

  const onDragOver = (event: DragEvent) => {
    const item = dragged();
    if (item?.type !== "card" || !can.editCards || pending || listRef.current === null) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const at = dropIndex(listRef.current, "[data-card-id]", item.id, event.clientY, "y");
    if (dropAt?.column !== column.id || dropAt.index !== at) setDropAt({ column: column.id, index: at });
  };

  const onDrop = (event: DragEvent) => {
    const item = dragged();
    if (item?.type !== "card" || listRef.current === null) return;
    event.preventDefault();
    event.stopPropagation();
    const at = dropIndex(listRef.current, "[data-card-id]", item.id, event.clientY, "y");
    setDropAt(null);
    endDrag();
    const card = view.cards[item.id];
    if (card) void actions.moveCard(card, column.id, at);
  };

  const moveColumn = async (to: number) => {
    requestFocus(focusKey);
    if (await actions.moveColumn(column, to)) announce(`Moved the column “${column.title}” to position ${to + 1}`);
  };

  const onHeaderKey = (event: KeyboardEvent<HTMLElement>) => {
    if (event.target !== event.currentTarget || !event.altKey || !can.manageBoard) return;
    if (event.key === "ArrowLeft" && index > 0) {
      event.preventDefault();
      void moveColumn(index - 1);
    }
    if (event.key === "ArrowRight" && index < view.columns.length - 1) {
      event.preventDefault();
      void moveColumn(index + 1);
    }
  };

  const remove = () => {
    const count = cards.length;
    const question = count
      ? `Delete the column “${column.title}” and its ${count} card${count === 1 ? "" : "s"}? This cannot be undone.`
      : `Delete the column “${column.title}”?`;
    if (window.confirm(question)) void actions.deleteColumn(column);
  };

  const showIndicator = dropAt?.column === column.id;
  const draggedId = dragged()?.type === "card" ? dragged()?.id : undefined;
  // Drop indexes count the column's cards without the dragged one, which stays in
  // place (removing a drag source from the page would cancel the drag).
  let sibling = 0;
  const items = cards.map((card, i) => {
    const indicator = showIndicator && card.id !== draggedId && dropAt?.index === sibling;
    if (card.id !== draggedId) sibling += 1;
    return (
      <FragmentWithIndicator key={card.id} show={indicator}>
        <CardTile card={card} index={i} />
      </FragmentWithIndicator>
    );
  });

  return (
    <section
      className={`column${pending ? " column-pending" : ""}${showIndicator ? " column-drop" : ""}`}
      data-testid="board-column"
      data-column-id={column.id}
      aria-labelledby={`column-${column.id}-title`}
    >
      <header
        ref={headerRef}
        className="column-header"
        tabIndex={can.manageBoard ? 0 : -1}
        draggable={can.manageBoard && !pending && !editing}
        onDragStart={(event) => startDrag(event, { type: "column", id: column.id })}
        onDragEnd={endDrag}
        onKeyDown={onHeaderKey}
        aria-label={can.manageBoard ? `Column ${column.title}. Alt+Left or Alt+Right moves it.` : undefined}
        data-testid="column-header"
      >
        <span id={`column-${column.id}-title`} className="column-title-wrap">
          <ColumnTitle column={column} editing={editing} setEditing={setEditing} />
        </span>
        <span className="column-count" aria-label={`${cards.length} cards`} data-testid="column-count">
          {cards.length}
        </span>
        {can.manageBoard && !pending && (
          <Menu
            label={`Actions for column ${column.title}`}
            testId="column-menu"
            items={[
              { label: "Rename", onSelect: () => setEditing(true), testId: "column-rename" },
              { label: "Move left", onSelect: () => void moveColumn(index - 1), disabled: index === 0, testId: "column-move-left" },
              {
                label: "Move right",
                onSelect: () => void moveColumn(index + 1),
                disabled: index === view.columns.length - 1,
                testId: "column-move-right",
              },
              { label: "Delete column", onSelect: remove, danger: true, testId: "column-delete" },
            ]}
          />
        )}
      </header>
      <ol
        ref={listRef}
        className="card-list"
        onDragOver={onDragOver}
        onDragLeave={(event) => {
          if (!event.currentTarget.contains(event.relatedTarget as Node | null) && dropAt?.column === column.id) setDropAt(null);
        }}
        onDrop={onDrop}
        aria-label={`Cards in ${column.title}`}
        data-testid="card-list"
      >
        {items}
        {showIndicator && dropAt?.index === sibling && <li className="drop-indicator" aria-hidden="true" />}
        {cards.length === 0 && !showIndicator && <li className="card-list-empty">No cards</li>}
      </ol>
      {can.editCards && !pending && <CardComposer column={column} />}
    </section>
  );
}

function FragmentWithIndicator({ show, children }: { show: boolean; children: React.ReactNode }) {
  return (
    <>
      {show && <li className="drop-indicator" aria-hidden="true" />}
      {children}
    </>
  );
}
