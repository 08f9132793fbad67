/** How a notification reads (pure: shared by the inbox and its tests). */

import type { AppNotification, NotificationReason } from "../api/types";

const VERBS: Record<NotificationReason, string> = {
  mentioned: "mentioned you on",
  assigned: "assigned you to",
  commented: "commented on",
  changed: "changed",
};

/** One line of text for a notification: "bob mentioned you on “Launch”". */
export function describeNotification(notification: AppNotification): string {
  const who = notification.actor?.username ?? "Someone";
  return `${who} ${VERBS[notification.reason]} “${notification.card_title || "a card"}”`;
}


// The server's pattern (collab/markdown.py MENTION): "@name" not inside a word, an
// e-mail address or a path.
const MENTION = /(?<![\w@/.])@([A-Za-z0-9_.+-]{0,149}[A-Za-z0-9_+-])/g;

/** Split plain text into runs, marking each `@name` as a mention. */
export function splitMentions(text: string): { text: string; mention: boolean }[] {
  const parts: { text: string; mention: boolean }[] = [];
  let position = 0;
  for (const match of text.matchAll(MENTION)) {
    const start = match.index ?? 0;
    if (start > position) parts.push({ text: text.slice(position, start), mention: false });
    parts.push({ text: match[0], mention: true });
    position = start + match[0].length;
  }
  if (position < text.length) parts.push({ text: text.slice(position), mention: false });
  return parts;
}
