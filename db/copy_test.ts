import assert from "node:assert/strict";
import { createTestDatabase, inDbMode } from "../testing/db.ts";
import type { Sql } from "./connect.ts";
import { canCopy, copyRows, copyText } from "./copy.ts";

const TRICKY = [
  "tab\there",
  "line\nbreak and\r\nwindows",
  "back\\slash",
  "\\N",
  "\\.",
  "'; drop table events; --",
  '<script>alert("x")</script>',
  "naïve — 日本語 🙂",
  "",
];

Deno.test("COPY text escapes what PostgreSQL would misread and writes NULL as \\N", () => {
  const text = copyText(
    [{ a: "x\ty", b: null, c: 1.5 }, { a: "\\N", b: { k: "v\n" }, c: Number.NaN }],
    ["a", "b", "c"],
  );
  assert.equal(text, 'x\\ty\t\\N\t1.5\n\\\\N\t{"k":"v\\\\n"}\t\\N\n');
});

Deno.test(
  "[server] rows copied in come back exactly as they were",
  inDbMode("server"),
  async () => {
    const db = await createTestDatabase("server");
    try {
      assert.ok(canCopy(db.sql));
      await db.sql.begin(async (tx) => {
        const sql = tx as unknown as Sql;
        await sql`create temp table copied (
        n int, s text, j jsonb, f float8, t timestamptz, b boolean) on commit drop`;
        const rows = TRICKY.map((s, n) => ({
          n,
          s,
          j: { s, nested: [s, n] },
          f: n / 3,
          t: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
          b: n % 2 === 0,
        }));
        rows.push({ n: 99, s: null!, j: null!, f: Number.POSITIVE_INFINITY, t: null!, b: null! });
        await copyRows(sql, "copied", ["n", "s", "j", "f", "t", "b"], rows);
        const back = await sql`select * from copied order by n`;
        assert.equal(back.length, rows.length);
        for (const [i, r] of rows.entries()) {
          const got = back[i];
          assert.equal(got.s, r.s, `row ${i}`);
          assert.deepEqual(got.j, r.j);
          assert.equal(got.f, Number.isFinite(r.f) ? r.f : null);
          assert.equal(got.t?.toISOString() ?? null, r.t);
          assert.equal(got.b, r.b);
        }
      });
    } finally {
      await db.close();
    }
  },
);

Deno.test(
  "[server] a COPY PostgreSQL refuses fails with its error, and the connection goes on",
  inDbMode("server"),
  async () => {
    const db = await createTestDatabase("server");
    try {
      await db.sql`create table refused (t timestamptz not null)`;
      // Before the fix this COPY never settled; the deadline only turns such a hang into a failure.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("the refused COPY never settled")), 60_000);
      });
      const error = await Promise.race([
        db.sql.begin(async (tx) => {
          await copyRows(tx as unknown as Sql, "refused", ["t"], [{ t: "the day after tomorrow" }]);
        }).then(() => null, (e) => e),
        hung,
      ]).finally(() => clearTimeout(timer));
      assert.equal(error?.code, "22007", String(error));
      // Every pooled connection still answers.
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => db.sql`select ${i}::int as i`),
      );
      assert.deepEqual(answers.map(([r]) => r.i), [0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      await db.close();
    }
  },
);

Deno.test("the embedded database is written without COPY", async () => {
  const db = await createTestDatabase("embedded");
  try {
    assert.equal(canCopy(db.sql), false);
  } finally {
    await db.close();
  }
});
