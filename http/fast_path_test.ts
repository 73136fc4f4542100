import assert from "node:assert/strict";
import { fastPathForRawUrl, registerFastPath } from "./fast_path.ts";

Deno.test("a fast path is found from the URL as sent, query string or not", () => {
  const handler = () => new Response(null, { status: 204 });
  registerFastPath("/test/fast", handler);
  assert.equal(fastPathForRawUrl("http://127.0.0.1:8000/test/fast"), handler);
  assert.equal(fastPathForRawUrl("https://example.com/test/fast?x=1#y"), handler);
  assert.equal(fastPathForRawUrl("http://example.com/test/fast/"), undefined);
  assert.equal(fastPathForRawUrl("http://example.com/test/fastx?/test/fast"), undefined);
  assert.equal(fastPathForRawUrl("http://example.com"), undefined);
});
