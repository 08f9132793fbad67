/** The card dialog: title, description (markdown), labels, assignees, due date, move, comments. */

import { useEffect, useRef, useState } from "react";

import type { Card } from "../api/types";
import { Avatar } from "../app/Avatar";
import { CardSidebar } from "./CardSidebar";
import { Comments } from "./Comments";
import { WatchButton } from "./WatchButton";
import { useBoard } from "./context";
import { Markdown } from "./Markdown";
import { hasFeature } from "../app/features";
import { CollabDescription } from "./collab/CollabDescription";

function TitleEditor({ card }: { card: Card }) {
  const { actions, can } = useBoard();
  const [draft, setDraft] = useState(card.title);
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    if (!focused) setDraft(card.title);
  }, [card.title, focused]);

  const save = () => {
    setFocused(false);
    const title = draft.replace(/\s+/g, " ").trim();
    if (!title) return setDraft(card.title);
    if (title !== card.title) void actions.updateCard(card, { title }, "Could not rename the card");
  };

  if (!can.editCards) {
    return (
      <h2 className="panel-title" id="card-panel-title" data-testid="card-panel-title">
        {card.title}
      </h2>
    );
  }
  return (
    <textarea
      id="card-panel-title"
      className="panel-title panel-title-input"
      value={draft}
      rows={1}
      maxLength={500}
      aria-label="Card title"
      onFocus={() => setFocused(true)}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={save}
      onKeyDown={(e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          e.currentTarget.blur();
        }
        if (e.key === "Escape") {
          e.stopPropagation();
          setDraft(card.title);
          setFocused(false);
          e.currentTarget.blur();
        }
      }}
      data-testid="card-panel-title"
    />
  );
}

function DescriptionEditor({ card }: { card: Card }) {
  const { actions, can, store, viewersByCard, me } = useBoard();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(card.description);
  const [baseVersion, setBaseVersion] = useState(card.version);
  const [saving, setSaving] = useState(false);
  const changedMeanwhile = editing && card.version !== baseVersion && card.description !== draft;
  const editors = (viewersByCard[card.id] ?? []).filter((p) => p.state === "editing" && p.user.id !== me.id);

  useEffect(() => {
    store.setPresence(card.id, editing ? "editing" : "viewing");
  }, [editing, store, card.id]);

  const start = () => {
    setDraft(card.description);
    setBaseVersion(store.confirmedVersion("card", card.id) ?? card.version);
    setEditing(true);
  };

  const save = async () => {
    setSaving(true);
    // If-Match carries the version the edit started from: someone else's save in the
    // meantime makes the server refuse (412) instead of silently overwriting it.
    const ok = await actions.updateCard(card, { description: draft }, "Could not save the description", baseVersion);
    setSaving(false);
    if (ok) setEditing(false);
    else setBaseVersion(store.confirmedVersion("card", card.id) ?? card.version);
  };

  return (
    <section className="panel-section" aria-labelledby="description-heading">
      <div className="section-head">
        <h3 id="description-heading">Description</h3>
        {can.editCards && !editing && (
          <button type="button" className="btn btn-sm" onClick={start} data-testid="description-edit">
            Edit
          </button>
        )}
      </div>
      {editors.length > 0 && (
        <p className="hint" data-testid="description-editing-by">
          {editors.map((p) => p.user.username).join(", ")} {editors.length === 1 ? "is" : "are"} editing this description.
        </p>
      )}
      {editing ? (
        <div className="description-editor">
          <textarea
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            rows={10}
            autoFocus
            aria-label="Description (Markdown)"
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void save();
              if (e.key === "Escape") {
                e.stopPropagation();
                setEditing(false);
              }
            }}
            data-testid="description-input"
          />
          {changedMeanwhile && (
            <p className="hint hint-warn" role="status">
              Someone changed this description while you were editing. Saving will be refused; copy your text, then reopen the editor.
            </p>
          )}
          <div className="row-gap">
            <button type="button" className="btn btn-primary btn-sm" disabled={saving} onClick={() => void save()} data-testid="description-save">
              {saving ? "Saving…" : "Save"}
            </button>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <span className="muted small">Markdown supported · Ctrl+Enter to save</span>
          </div>
        </div>
      ) : card.description ? (
        <Markdown html={card.description_html} testId="card-description" />
      ) : (
        <p className="muted" data-testid="card-description-empty">
          {can.editCards ? "No description yet. Add details, checklists or links with Markdown." : "No description."}
        </p>
      )}
    </section>
  );
}

export function CardPanel({ cardId, onClose }: { cardId: number; onClose: () => void }) {
  const { view, store, viewersByCard, me } = useBoard();
  const card = view.cards[cardId];
  const dialog = useRef<HTMLDivElement>(null);
  const lastFocus = useRef<Element | null>(null);

  useEffect(() => {
    lastFocus.current = document.activeElement;
    dialog.current?.focus();
    return () => {
      store.setPresence(null);
      if (lastFocus.current instanceof HTMLElement) lastFocus.current.focus();
    };
  }, [store]);

  useEffect(() => {
    store.setPresence(cardId, "viewing");
  }, [store, cardId]);

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      onClose();
      return;
    }
    if (event.key === "Tab" && dialog.current) {
      // Keep focus inside the dialog.
      const focusable = [
        ...dialog.current.querySelectorAll<HTMLElement>("button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])"),
      ].filter((el) => !el.hasAttribute("disabled"));
      const first = focusable[0];
      const last = focusable.at(-1);
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last?.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first?.focus();
      }
    }
  };

  const column = card ? view.columns.find((c) => c.id === card.column) : undefined;
  const others = (viewersByCard[cardId] ?? []).filter((p) => p.user.id !== me.id);

  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={dialog}
        className="dialog card-panel"
        role="dialog"
        aria-modal="true"
        aria-labelledby="card-panel-title"
        tabIndex={-1}
        onKeyDown={onKeyDown}
        data-testid="card-panel"
        data-card-id={cardId}
      >
        <button type="button" className="icon-button dialog-close" onClick={onClose} aria-label="Close" data-testid="card-panel-close">
          ×
        </button>
        {card === undefined ? (
          <div className="empty-state" data-testid="card-panel-gone">
            <h2 id="card-panel-title">This card is no longer on the board</h2>
            <p className="muted">It was archived, deleted, or never existed.</p>
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Back to the board
            </button>
          </div>
        ) : (
          <>
            <div className="panel-header">
              <TitleEditor card={card} />
              <WatchButton cardId={card.id} />
              <p className="muted small">
                in <strong>{column?.title ?? "…"}</strong>
                {others.length > 0 && (
                  <span className="panel-viewers">
                    {" · "}
                    {others.map((p) => (
                      <Avatar key={p.user.id} username={p.user.username} size="sm" ring title={`${p.user.username} is ${p.state} this card`} />
                    ))}
                    <span> also here</span>
                  </span>
                )}
              </p>
            </div>
            <div className="panel-body">
              <div className="panel-main">
                {hasFeature(me, "collaborative_descriptions") ? <CollabDescription card={card} /> : <DescriptionEditor card={card} />}
                <Comments cardId={card.id} />
              </div>
              <CardSidebar card={card} onClose={onClose} />
            </div>
          </>
        )}
      </div>
    </div>
  );
}
