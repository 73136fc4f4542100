import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { Markdown, safeHref } from "./Markdown.tsx";

const html = (text: string) => renderToString(<Markdown text={text} />);

Deno.test("markdown in a note renders its formatting", () => {
  assert.equal(
    html("# Call notes\nTalked **twice**, prefers *email*.\nSee `plan=pro`.\n\n- one\n- two"),
    '<div class="markdown"><p class="md-heading"><strong>Call notes</strong></p>' +
      "<p>Talked <strong>twice</strong>, prefers <em>email</em>.<br/>See <code>plan=pro</code>.</p>" +
      "<ul><li>one</li><li>two</li></ul></div>",
  );
  assert.match(
    html("[invoice](https://example.com/a?b=1&c=2)"),
    /<a href="https:\/\/example.com\/a\?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">invoice<\/a>/,
  );
});

Deno.test("markdown in a note escapes every tag, attribute and script address", () => {
  const out = html(
    '<img src=x onerror=alert(1)> "quoted" & <script>alert(1)</script>\n' +
      "[click](javascript:alert(1)) [data](data:text/html,<b>x</b>) **<b>bold</b>**",
  );
  assert.ok(!out.includes("<img"), out);
  assert.ok(!out.includes("<script"), out);
  assert.ok(!out.includes("<b>"), out);
  assert.ok(!out.includes('href="javascript'), out);
  assert.ok(!out.includes('href="data'), out);
  assert.ok(out.includes("&lt;img src=x onerror=alert(1)>"), out);
  assert.equal(safeHref("JAVASCRIPT:alert(1)"), null);
  assert.equal(safeHref(" mailto:ann@example.com"), "mailto:ann@example.com");
});
