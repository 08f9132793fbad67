/** Round initials for a user, in a colour derived from the username. */

const PALETTE = ["#5b5bd6", "#0d9488", "#d9480f", "#c2255c", "#1c7ed6", "#2f9e44", "#9c36b5", "#e67700", "#0c8599", "#5f3dc4"];

export function avatarColor(username: string): string {
  let hash = 0;
  for (let i = 0; i < username.length; i++) hash = (hash * 31 + username.charCodeAt(i)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

export function initials(username: string): string {
  const parts = username.split(/[\s._-]+/).filter(Boolean);
  if (parts.length >= 2) return (parts[0]![0]! + parts[1]![0]!).toUpperCase();
  return username.slice(0, 2).toUpperCase();
}

interface AvatarProps {
  username: string;
  size?: "sm" | "md" | "lg";
  title?: string;
  ring?: boolean;
  testId?: string;
  extra?: Record<string, string>;
}

export function Avatar({ username, size = "md", title, ring = false, testId, extra = {} }: AvatarProps) {
  return (
    <span
      className={`avatar avatar-${size}${ring ? " avatar-ring" : ""}`}
      style={{ background: avatarColor(username) }}
      title={title ?? username}
      aria-label={title ?? username}
      role="img"
      data-testid={testId}
      data-username={username}
      {...extra}
    >
      {initials(username)}
    </span>
  );
}
