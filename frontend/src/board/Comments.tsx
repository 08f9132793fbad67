/** A card's comments: list, post, edit or delete one's own, report others'. */

import { useEffect, useState, type FormEvent } from "react";

import { REACTIONS, type Comment, type ReactionName } from "../api/types";
import { Avatar } from "../app/Avatar";
import { splitMentions } from "../app/notifications";
import { useBoard } from "./context";
import { relativeTime } from "./dates";

function ReportForm({ onSend, onCancel }: { onSend: (reason: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState("");
  return (
    <form
      className="report-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (reason.trim()) onSend(reason.trim());
      }}
      data-testid="report-form"
    >
      <label className="visually-hidden" htmlFor="report-reason">
        Why are you reporting this?
      </label>
      <input
        id="report-reason"
        autoFocus
        value={reason}
        placeholder="Why should a moderator look at this?"
        onChange={(e) => setReason(e.target.value)}
        maxLength={1000}
        data-testid="report-reason"
      />
      <button type="submit" className="btn btn-sm btn-primary" disabled={!reason.trim()} data-testid="report-submit">
        Report
      </button>
      <button type="button" className="btn btn-sm btn-ghost" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** A comment's reactions with counts (who reacted on hover), and a picker to add one. */
function Reactions({ comment, canReact }: { comment: Comment; canReact: boolean }) {
  const { me, actions } = useBoard();
  const [picking, setPicking] = useState(false);
  if (!canReact && comment.reactions.length === 0) return null;
  const react = (name: ReactionName) => {
    setPicking(false);
    void actions.react(comment, name);
  };
  return (
    <div className="reactions" data-testid="reactions">
      {comment.reactions.map((group) => {
        const mine = group.users.some((u) => u.id === me.id);
        const who = group.users.map((u) => u.username).join(", ");
        return (
          <button
            key={group.reaction}
            type="button"
            className={`reaction${mine ? " reaction-mine" : ""}`}
            title={`${who} reacted with ${group.reaction}`}
            aria-label={`${group.reaction}: ${group.count}, by ${who}${mine ? " (you)" : ""}`}
            aria-pressed={mine}
            disabled={!canReact}
            onClick={() => react(group.reaction)}
            data-testid="reaction"
            data-reaction={group.reaction}
          >
            <span aria-hidden="true">{group.emoji}</span> <span data-testid="reaction-count">{group.count}</span>
          </button>
        );
      })}
      {canReact && (
        <button
          type="button"
          className="reaction reaction-add"
          aria-label="Add a reaction"
          aria-expanded={picking}
          onClick={() => setPicking(!picking)}
          data-testid="reaction-add"
        >
          <span aria-hidden="true">{"\u263A\uFE0E+"}</span>
        </button>
      )}
      {picking && (
        <div className="reaction-picker" role="group" aria-label="Reactions" data-testid="reaction-picker">
          {(Object.entries(REACTIONS) as [ReactionName, string][]).map(([name, emoji]) => (
            <button key={name} type="button" className="reaction-choice" aria-label={name} title={name} onClick={() => react(name)} data-testid={`react-${name}`}>
              {emoji}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function CommentItem({ comment }: { comment: Comment }) {
  const { me, actions, can } = useBoard();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(comment.body);
  const [reporting, setReporting] = useState(false);
  const mine = comment.author.id === me.id;
  const pending = comment.id < 0;
  const admin = can.role === "admin" || can.role === "owner";

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const body = draft.trim();
    if (!body) return;
    setEditing(false);
    if (body !== comment.body) void actions.editComment(comment, body);
  };

  return (
    <li className={`comment${pending ? " comment-pending" : ""}`} data-testid="comment" data-comment-id={comment.id}>
      <Avatar username={comment.author.username} size="sm" />
      <div className="comment-main">
        <div className="comment-head">
          <strong>{comment.author.username}</strong>
          <time dateTime={comment.created_at} title={new Date(comment.created_at).toLocaleString()}>
            {relativeTime(comment.created_at)}
          </time>
          {comment.edited_at && !comment.hidden && <span className="muted">(edited)</span>}
        </div>
        {comment.hidden ? (
          <p className="comment-hidden" data-testid="comment-hidden">
            This comment was hidden by a moderator.
          </p>
        ) : editing ? (
          <form onSubmit={save} className="comment-edit">
            <textarea value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus rows={3} aria-label="Edit comment" data-testid="comment-edit-input" />
            <div className="row-gap">
              <button type="submit" className="btn btn-sm btn-primary" data-testid="comment-save">
                Save
              </button>
              <button type="button" className="btn btn-sm btn-ghost" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <p className="comment-body" data-testid="comment-body">
            {splitMentions(comment.body).map((part, index) =>
              part.mention ? (
                <span key={index} className="mention">
                  {part.text}
                </span>
              ) : (
                part.text
              ),
            )}
          </p>
        )}
        {!pending && !comment.hidden && <Reactions comment={comment} canReact={can.editCards} />}
        {!pending && !editing && !comment.hidden && (
          <div className="comment-actions">
            {mine && can.editCards && (
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  setDraft(comment.body);
                  setEditing(true);
                }}
                data-testid="comment-edit"
              >
                Edit
              </button>
            )}
            {(mine || admin) && can.editCards && (
              <button
                type="button"
                className="link-button"
                onClick={() => window.confirm("Delete this comment?") && void actions.deleteComment(comment)}
                data-testid="comment-delete"
              >
                Delete
              </button>
            )}
            {!mine && can.role !== null && (
              <button type="button" className="link-button" onClick={() => setReporting(true)} data-testid="comment-report">
                Report
              </button>
            )}
          </div>
        )}
        {reporting && (
          <ReportForm
            onCancel={() => setReporting(false)}
            onSend={(reason) => {
              setReporting(false);
              void actions.report("comment", comment.id, reason);
            }}
          />
        )}
      </div>
    </li>
  );
}

export function Comments({ cardId }: { cardId: number }) {
  const { view, store, actions, can } = useBoard();
  const [body, setBody] = useState("");
  const [error, setError] = useState<string | null>(null);
  const comments = view.comments[cardId];

  useEffect(() => {
    store.loadComments(cardId).catch(() => setError("Could not load the comments."));
  }, [store, cardId]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = body.trim();
    if (!text) return;
    setBody("");
    void actions.addComment(cardId, text);
  };

  return (
    <section className="panel-section" aria-labelledby="comments-heading">
      <h3 id="comments-heading">Comments</h3>
      {can.editCards && (
        <form className="comment-composer" onSubmit={submit}>
          <label className="visually-hidden" htmlFor="new-comment">
            Write a comment
          </label>
          <textarea
            id="new-comment"
            rows={2}
            value={body}
            placeholder="Write a comment…"
            onChange={(e) => setBody(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) submit(e);
            }}
            data-testid="comment-input"
          />
          <button type="submit" className="btn btn-primary btn-sm" disabled={!body.trim()} data-testid="comment-submit">
            Comment
          </button>
        </form>
      )}
      {error && <p className="form-error">{error}</p>}
      {comments === undefined && !error && <p className="muted">Loading comments…</p>}
      {comments !== undefined && comments.length === 0 && <p className="muted">No comments yet.</p>}
      <ol className="comment-list" data-testid="comment-list">
        {[...(comments ?? [])].reverse().map((comment) => (
          <CommentItem key={comment.id} comment={comment} />
        ))}
      </ol>
    </section>
  );
}
