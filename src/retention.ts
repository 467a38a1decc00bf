/**
 * Ended runs kept for latecomers, by key, each for one duration. Retention is one duration, so
 * insertion order is expiry order and one timer serves them all (a timer per key would be kept
 * as long as the key). `expired` is called with each key whose time is up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Retention } from "./retention.ts";
 * const expired = Promise.withResolvers<string>();
 * const retention = new Retention(1, expired.resolve);
 * retention.keep("job:a");
 * assert.equal(retention.has("job:a"), true);
 * assert.equal(await expired.promise, "job:a");
 * assert.equal(retention.has("job:a"), false);
 * retention.clear();
 * ```
 */
export class Retention {
  #duration: number;
  #expired: (key: string) => void;
  #until = new Map<string, number>();
  #sweeper: ReturnType<typeof setTimeout> | undefined;

  constructor(duration: number, expired: (key: string) => void) {
    this.#duration = duration;
    this.#expired = expired;
  }

  /** Keeps `key` for the duration from now (again from now when kept already). */
  keep(key: string): void {
    // Delete first: a Map keeps a re-set key in its old place, and order is expiry order.
    this.#until.delete(key);
    this.#until.set(key, Date.now() + this.#duration);
    this.#sweeper ??= setTimeout(() => this.#sweep(), this.#duration);
  }

  has(key: string): boolean {
    return this.#until.has(key);
  }

  /** Stops keeping `key` (a new run replaced the retained one). */
  drop(key: string): void {
    this.#until.delete(key);
  }

  /** Forgets every key and the timer (shutdown). */
  clear(): void {
    clearTimeout(this.#sweeper);
    this.#sweeper = undefined;
    this.#until.clear();
  }

  /** Forgets the keys whose time is up, then waits for the next one. */
  #sweep(): void {
    this.#sweeper = undefined;
    const now = Date.now();
    for (const [key, expires] of this.#until) {
      if (expires > now) {
        this.#sweeper = setTimeout(() => this.#sweep(), expires - now);
        return;
      }
      this.#until.delete(key);
      this.#expired(key);
    }
  }
}
