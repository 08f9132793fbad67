/** Markdown rendered to sanitised HTML (card descriptions are user input). */

import DOMPurify from "dompurify";
import { Marked } from "marked";
import { useMemo } from "react";

let hooked = false;

function sanitize(html: string): string {
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
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input", "button"] });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Raw HTML in a description is shown as text, not parsed: Markdown is the format.
const markdown = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
  },
});

/** Return safe HTML for a markdown text (escaped raw HTML, then sanitised). */
export function renderMarkdown(text: string): string {
  const html = markdown.parse(text, { async: false }) as string;
  return sanitize(html);
}

export function Markdown({ text, testId }: { text: string; testId?: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return <div className="markdown" data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} />;
}
