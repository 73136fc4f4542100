import assert from "node:assert/strict";
import { Lru } from "./lru.ts";

Deno.test("the cache keeps its most recently used entries and stays bounded", () => {
  const lru = new Lru<number, string>(100);
  for (let i = 0; i < 1000; i++) {
    lru.set(i, `v${i}`);
    // Entry 0 is read after every insert: it must survive however much else comes and goes.
    assert.equal(lru.get(0), "v0");
    assert.ok(lru.size <= 200, `size ${lru.size} after ${i + 1} inserts`);
  }
  // The last `capacity` entries set are all still there; long-unused early ones are gone.
  for (let i = 901; i < 1000; i++) assert.equal(lru.get(i), `v${i}`);
  assert.equal(lru.get(5), undefined);
});

Deno.test("set replaces, delete and clear forget, remember computes once", () => {
  const lru = new Lru<string, number>(2);
  lru.set("a", 1);
  lru.set("b", 2); // "a" and "b" move to the old generation
  lru.set("a", 10);
  assert.equal(lru.get("a"), 10);
  lru.delete("b");
  assert.equal(lru.get("b"), undefined);
  let computed = 0;
  const twice = () => (++computed, 42);
  assert.equal(lru.remember("c", twice), 42);
  assert.equal(lru.remember("c", twice), 42);
  assert.equal(computed, 1);
  lru.clear();
  assert.equal(lru.size, 0);
  assert.equal(lru.get("a"), undefined);
});
