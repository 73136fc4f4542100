import assert from "node:assert/strict";
import postgres from "postgres";
import { openDatabase } from "./connect.ts";
import { startEmbeddedPostgres } from "./embedded.ts";

Deno.test("the embedded database takes statements larger than one TCP read (2 MB values, 5k-row inserts)", async () => {
  const db = await openDatabase({ embeddedPath: "memory://" });
  try {
    await db.sql`create table big (id int, body text)`;
    await db.sql`insert into big values (1, ${"x".repeat(2_000_000)})`;
    const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i + 2, body: "y".repeat(100) }));
    await db.sql`insert into big ${db.sql(rows)}`;
    const [r] = await db.sql`select count(*)::int as n, sum(length(body))::int as chars from big`;
    assert.deepEqual(r, { n: 5001, chars: 2_500_000 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => db.sql`select ${i}::int as i`),
    );
    assert.deepEqual(results.map((x) => x[0].i), Array.from({ length: 50 }, (_, i) => i));
  } finally {
    await db.close();
  }
});

Deno.test("a client that disconnects inside a transaction does not leave the next one in it", async () => {
  const pg = await startEmbeddedPostgres("memory://");
  const client = () => postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    const a = client();
    await a`create table t (id int)`;
    const tx = await a.reserve();
    await tx`begin`;
    await tx`insert into t values (1)`;
    await a.end({ timeout: 0 }); // gone without COMMIT, as a crashed client would be
    const b = client();
    const [n] = await b`select count(*)::int as n from t`;
    assert.equal(n.n, 0, "the abandoned transaction was rolled back");
    await b`insert into t values (2)`;
    await b.end();
    const c = client();
    const [m] = await c`select count(*)::int as n from t`;
    assert.equal(m.n, 1, "the next client's work is committed, not stuck in a transaction");
    await c.end();
  } finally {
    await pg.stop();
  }
});
