/** Wording of the Webhooks tab: a delivery's last attempt, an endpoint's events, the chosen events. */

import type { WebhookDelivery } from "../api/types";
import { EVENT_NAMES, type EventName } from "../realtime/protocol";

const timeFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** A timestamp to the second: deliveries and retries are minutes apart, not days. */
export function formatMoment(iso: string): string {
  return timeFormat.format(new Date(iso));
}

/** "HTTP 204 in 85 ms", "HTTP 500 in 12 ms: Oops", the transport error, or "not tried yet". */
export function lastAttemptText(delivery: Pick<WebhookDelivery, "attempt_log">): string {
  const attempt = delivery.attempt_log[delivery.attempt_log.length - 1];
  if (!attempt) return "not tried yet";
  if (attempt.status_code === null) return attempt.error || "no answer";
  const answer = `HTTP ${attempt.status_code} in ${attempt.duration_ms} ms`;
  const excerpt = attempt.succeeded ? "" : attempt.response_excerpt.trim().slice(0, 80);
  return excerpt ? `${answer}: ${excerpt}` : answer;
}

/** The attempts since the delivery was last queued, and all of them when it was redelivered. */
export function attemptsText(delivery: Pick<WebhookDelivery, "attempts" | "attempt_log">): string {
  const total = delivery.attempt_log.length;
  return total > delivery.attempts ? `${delivery.attempts} (${total} in all)` : String(delivery.attempts);
}

/** An endpoint's event types as a line: "every event" or the names. */
export function eventTypesText(eventTypes: string[]): string {
  if (eventTypes.includes("*")) return "every event";
  return eventTypes.length === 0 ? "no events" : eventTypes.join(", ");
}

/** Check or uncheck one event type, keeping the order of the event list. */
export function toggleEventType(chosen: readonly EventName[], name: EventName): EventName[] {
  const next = new Set(chosen);
  if (next.has(name)) next.delete(name);
  else next.add(name);
  return EVENT_NAMES.filter((each) => next.has(each));
}

/** The event types grouped by what they are about ("card", "comment", ...), in list order. */
export function eventTypeGroups(): [string, EventName[]][] {
  const groups = new Map<string, EventName[]>();
  for (const name of EVENT_NAMES) {
    const subject = name.split(".")[0] ?? name;
    groups.set(subject, [...(groups.get(subject) ?? []), name]);
  }
  return [...groups.entries()];
}
