import assert from "node:assert/strict";
import { jsonDepth, MAX_JSON_DEPTH, readCappedJson } from "./body.ts";
import { Invalid } from "../lib/errors.ts";

const request = (body: string) => new Request("http://x/", { method: "POST", body });

Deno.test("json depth counts brackets outside strings only", () => {
  assert.equal(jsonDepth('{"a":[1,{"b":2}]}'), 3);
  assert.equal(jsonDepth('{"a":"[[[[[[[[\\"[[[["}'), 1);
  assert.equal(jsonDepth("42"), 0);
  assert.equal(
    jsonDepth("[".repeat(1_000_000)),
    MAX_JSON_DEPTH + 1,
    "stops counting past the limit",
  );
});

Deno.test("a body nested deeper than the limit is a 400 naming the nesting, before parsing", async () => {
  for (
    const text of [
      "[".repeat(200_000) + "]".repeat(200_000),
      '{"a":'.repeat(40) + "1" + "}".repeat(40),
    ]
  ) {
    await assert.rejects(
      () => readCappedJson(request(text), 10_000_000),
      (e) => e instanceof Invalid && /nests deeper than 32 levels/.test(e.message),
    );
  }
  const ok = '{"a":'.repeat(MAX_JSON_DEPTH - 1) + "[]" + "}".repeat(MAX_JSON_DEPTH - 1);
  assert.ok(await readCappedJson(request(ok), 10_000));
});
