import assert from "node:assert/strict";
import { importRows, parseCsv } from "./csv.ts";

Deno.test("quoted fields, doubled quotes and CRLF are read as written", () => {
  assert.deepEqual(parseCsv('a,b\r\n"x, ""y""",2\r\n\r\n'), [["a", "b"], ['x, "y"', "2"]]);
});

Deno.test("an Umami events export becomes one page view per row, its session one visitor", () => {
  const rows = importRows(parseCsv(
    "event_id,session_id,created_at,url_path,referrer_domain,event_type\n" +
      "e1,s1,2026-10-01T10:00:00Z,/a,news.ycombinator.com,1\n" +
      "e2,s1,2026-10-01T10:01:00Z,/b,,1\n" +
      "e3,s1,2026-10-01T10:02:00Z,/b,,2\n",
  ));
  assert.deepEqual(rows.map((r) => [r.day, r.page, r.source, r.pageviews, r.visitor]), [
    ["2026-10-01", "/a", "news.ycombinator.com", 1, "s1"],
    ["2026-10-01", "/b", "", 1, "s1"],
    ["2026-10-01", "/b", "", 0, "s1"],
  ]);
});

Deno.test("a file that is no known export is refused with what its first line should hold", () => {
  assert.throws(() => importRows(parseCsv("name,email\nx,y\n")), /first line should name columns/);
  assert.throws(
    () => importRows(parseCsv("date,page,source,visitors,pageviews\n2026-01-01,/,Google,2,x\n")),
    /Line 2: pageviews should be a whole number/,
  );
});
