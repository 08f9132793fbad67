// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { sanitizeHtml } from "./Markdown";

describe("sanitizeHtml", () => {
  it("keeps the server's Markdown HTML", () => {
    const html = sanitizeHtml("<h2>Plan</h2><ul><li><strong>bold</strong> item</li><li><code>code</code></li></ul>");
    expect(html).toContain("<h2>Plan</h2>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<code>code</code>");
  });

  it("drops scripts, event handlers and script URLs that slipped through", () => {
    const html = sanitizeHtml(
      '<img src=x onerror="alert(1)"><script>alert(2)</script><svg onload="alert(3)"></svg><a href="javascript:alert(4)">x</a>',
    );
    const box = document.createElement("div");
    box.innerHTML = html;
    expect(box.querySelector("img, script, svg")).toBeNull();
    expect(box.querySelector("[onerror], [onload]")).toBeNull();
    expect(box.querySelector("a")?.getAttribute("href") ?? "").not.toContain("javascript:");
  });

  it("opens links in a new tab without an opener", () => {
    const html = sanitizeHtml('<a href="https://example.com">docs</a>');
    expect(html).toContain('target="_blank"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });
});
