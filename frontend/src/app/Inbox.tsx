/** The inbox: a bell with the unread count, updated live, and the latest notifications. */

import { useCallback, useEffect, useRef, useState } from "react";

import { errorMessage } from "../api/client";
import { notifications as notificationsApi } from "../api/resources";
import type { AppNotification } from "../api/types";
import type { Connection } from "../realtime/connection";
import { formatDate } from "../board/dates";
import { describeNotification } from "./notifications";
import { navigate } from "./router";
import { toast } from "./toasts";

function target(notification: AppNotification): string {
  return notification.card ? `/b/${notification.board}/c/${notification.card}` : `/b/${notification.board}`;
}

export function Inbox({ connection }: { connection: Connection }) {
  const [items, setItems] = useState<AppNotification[]>([]);
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLDivElement>(null);

  const load = useCallback(async () => {
    try {
      const [recent, pending] = await Promise.all([notificationsApi.recent(), notificationsApi.recent(true)]);
      setItems(recent.results);
      setUnread(pending.count);
    } catch {
      // The badge keeps its last value; the next notification or opening retries.
    }
  }, []);

  useEffect(() => {
    void load();
    return connection.onNotification((notification) => {
      setItems((current) => [notification, ...current.filter((n) => n.id !== notification.id)].slice(0, 50));
      setUnread((count) => count + 1);
      toast(describeNotification(notification));
    });
  }, [connection, load]);

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (panel.current && !panel.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);

  const openItem = async (notification: AppNotification) => {
    setOpen(false);
    navigate(target(notification));
    if (!notification.unread) return;
    setItems((current) => current.map((n) => (n.id === notification.id ? { ...n, unread: false } : n)));
    setUnread((count) => Math.max(0, count - 1));
    try {
      await notificationsApi.read(notification.id);
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  const readAll = async () => {
    try {
      await notificationsApi.readAll();
      setItems((current) => current.map((n) => ({ ...n, unread: false })));
      setUnread(0);
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  return (
    <div className="inbox" ref={panel}>
      <button
        type="button"
        className="btn btn-ghost btn-sm inbox-button"
        aria-haspopup="true"
        aria-expanded={open}
        aria-label={unread ? `Notifications, ${unread} unread` : "Notifications"}
        onClick={() => {
          setOpen(!open);
          if (!open) void load();
        }}
        data-testid="inbox-button"
      >
        <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
          />
        </svg>
        {unread > 0 && (
          <span className="inbox-count" data-testid="inbox-count">
            {unread > 99 ? "99+" : unread}
          </span>
        )}
      </button>
      {open && (
        <div className="inbox-panel" role="dialog" aria-label="Notifications" data-testid="inbox">
          <div className="inbox-header">
            <strong>Notifications</strong>
            <button type="button" className="link-button" onClick={() => void readAll()} disabled={unread === 0} data-testid="inbox-read-all">
              Mark all read
            </button>
          </div>
          {items.length === 0 ? (
            <p className="muted inbox-empty">Nothing yet. Mentions, assignments and changes to cards you watch show up here.</p>
          ) : (
            <ul className="inbox-list">
              {items.map((notification) => (
                <li key={notification.id}>
                  <a
                    href={target(notification)}
                    className={notification.unread ? "inbox-item unread" : "inbox-item"}
                    onClick={(event) => {
                      event.preventDefault();
                      void openItem(notification);
                    }}
                    data-testid="notification-item"
                    data-unread={notification.unread}
                  >
                    <span className="inbox-text">{describeNotification(notification)}</span>
                    <span className="inbox-time muted">{formatDate(notification.created_at)}</span>
                  </a>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
