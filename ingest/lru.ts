/** A small least-recently-used cache: hot-path lookups (user agents, sites, IPs) repeat a lot. */
export class Lru<K, V> {
  #map = new Map<K, V>();
  constructor(readonly capacity: number) {}

  /** The cached value (refreshing its recency), or undefined. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  /** The cached value, or `compute(key)` stored for next time (`undefined` is never cached). */
  remember(key: K, compute: (key: K) => V): V {
    let v = this.get(key);
    if (v === undefined) this.set(key, v = compute(key));
    return v;
  }

  /** Stores a value, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value as K);
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}
