import assert from "node:assert/strict";
import { pathOfReferer, safeRedirectPath } from "./redirect.ts";

Deno.test("same-site paths survive as given", () => {
  assert.equal(safeRedirectPath("/sites/3?period=7d#top"), "/sites/3?period=7d#top");
  assert.equal(safeRedirectPath("/invites/abc%20def"), "/invites/abc%20def");
  assert.equal(safeRedirectPath("/"), "/");
});

Deno.test("targets that leave the site or carry control characters fall back to the default", () => {
  const hostile = [
    undefined,
    "",
    "sites",
    "//evil.example",
    "/\\evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/%0a/evil.example",
    "/\n/evil.example",
    "/%0d%0aSet-Cookie:%20x=1",
    "/\r\nSet-Cookie: x=1",
    "/%2f/evil.example",
    "/%2F%2Fevil.example",
    "/%5cevil.example",
    "/%5Cevil.example",
    "/%00",
    "/\0",
    "/%7f",
    "/\u2028x",
    "/%E2%80%A8x",
    "https://evil.example/",
    "javascript:alert(1)",
    "/%", // malformed percent-encoding
    "/%E0%A4%A",
    " //evil.example",
    "/x".repeat(2000),
  ];
  for (const t of hostile) assert.equal(safeRedirectPath(t, "/home"), "/home", JSON.stringify(t));
});

Deno.test("a Referer gives its path and query only when it is a well-formed URL", () => {
  assert.equal(pathOfReferer("http://127.0.0.1:8000/sites/3?period=7d"), "/sites/3?period=7d");
  assert.equal(pathOfReferer("not a url"), undefined);
  assert.equal(pathOfReferer("http://[::1"), undefined);
  assert.equal(pathOfReferer(undefined), undefined);
  assert.equal(pathOfReferer("https://evil.example//other.example/x"), "//other.example/x");
});
