/** A card description's HTML, rendered from Markdown and sanitised by the server. */

import DOMPurify from "dompurify";
import { useMemo } from "react";

let hooked = false;

/**
 * Sanitise HTML once more in the browser: the server already rendered it with raw HTML
 * off and cleaned it (collab/markdown.py); this second layer keeps a server bug from
 * turning into script running in someone else's browser.
 */
export function sanitizeHtml(html: string): string {
  if (!hooked) {
    hooked = true;
    // Links open in a new tab without giving it a handle on this page.
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A" && node.getAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
    });
  }
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "img", "svg", "math", "iframe"],
    FORBID_ATTR: ["style"],
  });
}

export function Markdown({ html, testId }: { html: string; testId?: string }) {
  const safe = useMemo(() => sanitizeHtml(html), [html]);
  return <div className="markdown" data-testid={testId} dangerouslySetInnerHTML={{ __html: safe }} />;
}
