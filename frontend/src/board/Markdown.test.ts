// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { renderMarkdown } from "./Markdown";

describe("renderMarkdown", () => {
  it("renders Markdown", () => {
    const html = renderMarkdown("## Plan\n\n- **bold** item\n- `code`");
    expect(html).toContain("<h2>Plan</h2>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<code>code</code>");
  });

  it("shows raw HTML as text and drops script URLs", () => {
    const html = renderMarkdown('<img src=x onerror="alert(1)"> <script>alert(2)</script> [x](javascript:alert(3))');
    const box = document.createElement("div");
    box.innerHTML = html;
    expect(box.querySelector("img, script")).toBeNull();
    expect(box.textContent).toContain("<img src=x");
    expect(box.querySelector("a")?.getAttribute("href") ?? "").not.toContain("javascript:");
  });

  it("opens links in a new tab without an opener", () => {
    const html = renderMarkdown("[docs](https://example.com)");
    expect(html).toContain('target="_blank"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });
});
