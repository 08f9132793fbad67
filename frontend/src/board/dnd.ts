/** Native drag and drop of cards and columns: what is being dragged, and where it would land. */

export type Dragged = { type: "card"; id: number } | { type: "column"; id: number };

let current: Dragged | null = null;

export const CARD_MIME = "application/x-corkboard-card";
export const COLUMN_MIME = "application/x-corkboard-column";

/** Remember what is dragged (dragover events cannot read the drag data). */
export function startDrag(event: React.DragEvent, dragged: Dragged): void {
  current = dragged;
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData(dragged.type === "card" ? CARD_MIME : COLUMN_MIME, String(dragged.id));
  event.dataTransfer.setData("text/plain", `${dragged.type}:${dragged.id}`);
}

export function endDrag(): void {
  current = null;
}

export function dragged(): Dragged | null {
  return current;
}

/**
 * Return the index among `container`'s items (matching `selector`, the dragged one
 * excluded) before which a drop at (x, y) lands.
 */
export function dropIndex(container: Element, selector: string, skipId: number, coordinate: number, axis: "x" | "y"): number {
  const items = [...container.querySelectorAll<HTMLElement>(selector)].filter(
    (el) => Number(el.dataset.cardId ?? el.dataset.columnId) !== skipId,
  );
  for (let i = 0; i < items.length; i++) {
    const rect = items[i]!.getBoundingClientRect();
    const middle = axis === "y" ? rect.top + rect.height / 2 : rect.left + rect.width / 2;
    if (coordinate < middle) return i;
  }
  return items.length;
}
