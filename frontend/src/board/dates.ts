/** Date formatting for due dates, timestamps and the activity feed. */

const dateFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", year: "numeric" });
const shortFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export function formatDate(iso: string): string {
  return dateFormat.format(new Date(iso));
}

export function formatShort(iso: string): string {
  const date = new Date(iso);
  return date.getFullYear() === new Date().getFullYear() ? shortFormat.format(date) : dateFormat.format(date);
}

/** Return "just now", "5 min ago", "3 h ago" or a date. */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${formatShort(iso)}, ${timeFormat.format(new Date(iso))}`;
}

/** The `yyyy-mm-dd` of an ISO timestamp in local time, for a date input. */
export function toDateInput(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The ISO timestamp of a date input's day (end of that day, local time). */
export function fromDateInput(value: string): string | null {
  if (!value) return null;
  return new Date(`${value}T17:00:00`).toISOString();
}

export type DueState = "overdue" | "soon" | "later";

export function dueState(iso: string, now = Date.now()): DueState {
  const due = new Date(iso).getTime();
  if (due < now) return "overdue";
  if (due - now < 2 * 86400 * 1000) return "soon";
  return "later";
}
