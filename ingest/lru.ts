/**
 * A least-recently-used cache for hot-path lookups that repeat a lot (user agents, sites, IPs,
 * URLs). Two generations instead of exact recency order: a hit in the young one is a plain Map
 * read, where reordering on every hit (delete + set) cost more than the lookups it saved. When
 * the young generation fills, it becomes the old one and the old one is dropped; an old entry
 * that is used again moves back into the young one. So the `capacity` most recently used
 * entries are always kept, and never more than twice that many.
 */
export class Lru<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  constructor(readonly capacity: number) {}

  /** The cached value (refreshing its recency), or undefined. */
  get(key: K): V | undefined {
    const v = this.#young.get(key);
    if (v !== undefined) return v;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.#keep(key, old);
    }
    return old;
  }

  /** The cached value, or `compute(key)` stored for next time (`undefined` is never cached). */
  remember(key: K, compute: (key: K) => V): V {
    let v = this.get(key);
    if (v === undefined) this.set(key, v = compute(key));
    return v;
  }

  /** Stores a value as the most recently used. */
  set(key: K, value: V): void {
    if (this.#young.has(key)) {
      this.#young.set(key, value);
      return;
    }
    this.#old.delete(key);
    this.#keep(key, value);
  }

  #keep(key: K, value: V): void {
    this.#young.set(key, value);
    if (this.#young.size >= this.capacity) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }

  delete(key: K): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }
}
