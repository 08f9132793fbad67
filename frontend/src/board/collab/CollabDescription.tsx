/** The card panel's description, co-edited live (the `collaborative_descriptions` flag). */

import { useEffect, useRef, useState } from "react";

import type { Card } from "../../api/types";
import { useBoard } from "../context";
import { Markdown } from "../Markdown";
import type { CollabEditor } from "./editor";
import { type DocState, STATUS_TEXT } from "./status";

export function CollabDescription({ card }: { card: Card }) {
  const { can, store, me } = useBoard();
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<DocState>("syncing");
  const [preview, setPreview] = useState(false);
  const [failed, setFailed] = useState(false);
  const canEdit = can.editCards;

  useEffect(() => {
    let editor: CollabEditor | null = null;
    let cancelled = false;
    // CodeMirror and Yjs load on demand: the board does not wait for them.
    import("./editor")
      .then(({ startCollabEditor }) => {
        if (cancelled || !host.current) return;
        editor = startCollabEditor({
          parent: host.current,
          cardId: card.id,
          user: { id: me.id, username: me.username },
          canEdit,
          onState: setState,
          onFocusChange: (focused) => store.setPresence(card.id, focused ? "editing" : "viewing"),
        });
      })
      .catch(() => setFailed(true));
    return () => {
      cancelled = true;
      editor?.destroy();
    };
  }, [card.id, canEdit, me.id, me.username, store]);

  return (
    <section className="panel-section" aria-labelledby="description-heading">
      <div className="section-head">
        <h3 id="description-heading">Description</h3>
        <span className={`doc-status doc-status-${state}`} data-testid="doc-status" data-state={state} role="status" aria-live="polite">
          {STATUS_TEXT[state]}
        </span>
        <button
          type="button"
          className="btn btn-sm"
          aria-pressed={preview}
          onClick={() => setPreview((on) => !on)}
          data-testid="description-preview-toggle"
        >
          Preview
        </button>
      </div>
      {failed && <p className="hint hint-warn">The editor could not load; reload the page.</p>}
      <div className={preview ? "collab-description collab-description-split" : "collab-description"}>
        <div ref={host} className="collab-editor" data-testid="description-editor" />
        {preview &&
          (card.description ? (
            <Markdown html={card.description_html} testId="description-preview" />
          ) : (
            <p className="muted" data-testid="description-preview">
              Nothing to preview yet.
            </p>
          ))}
      </div>
      <p className="muted small">Markdown · edits are shared live and saved as you type</p>
    </section>
  );
}
