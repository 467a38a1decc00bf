/**
 * A JWT's `scope` claim as a list of `kind:name` prefixes: a JSON list of strings, or one
 * string of prefixes separated by spaces (OAuth's habit). No claim: `null`, the token may
 * touch everything.
 *
 * @throws {TypeError} for any other shape (a number, a list with a non-string).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScope } from "./scope.ts";
 * assert.deepEqual(parseScope(["job:ci/", "pipe:backup-"]), ["job:ci/", "pipe:backup-"]);
 * assert.deepEqual(parseScope("job:ci/  pipe:a"), ["job:ci/", "pipe:a"]);
 * assert.equal(parseScope(undefined), null);
 * assert.throws(() => parseScope([1]), TypeError);
 * ```
 */
export function parseScope(claim: unknown): readonly string[] | null {
  if (claim === undefined) return null;
  if (typeof claim === "string") return claim.split(/\s+/).filter((prefix) => prefix !== "");
  if (Array.isArray(claim) && claim.every((prefix) => typeof prefix === "string")) {
    return claim as string[];
  }
  throw new TypeError('Invalid scope claim (a list of prefixes such as "job:ci/")');
}

/**
 * Whether a scope lets its token touch `target` (`kind:name`, e.g. `job:ci/build-7`): some
 * prefix of the scope starts it. `null` (no scope claim) allows everything; an empty list
 * allows nothing. Prefixes are plain text: `pipe:` covers every pipe, `job:ci/` the jobs under
 * `ci/`, and `job:ci` also `job:ci-old` (end a prefix with `/` to mean a folder).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scopeAllows } from "./scope.ts";
 * assert.equal(scopeAllows(["job:ci/", "pipe:backup-"], "job:ci/build-7"), true);
 * assert.equal(scopeAllows(["job:ci/", "pipe:backup-"], "pipe:backup-db"), true);
 * assert.equal(scopeAllows(["job:ci/"], "job:deploy"), false);
 * assert.equal(scopeAllows(["job:ci/"], "pipe:ci/x"), false);
 * assert.equal(scopeAllows([], "pipe:a"), false);
 * assert.equal(scopeAllows(null, "pipe:a"), true);
 * ```
 */
export function scopeAllows(scope: readonly string[] | null, target: string): boolean {
  return scope === null || scope.some((prefix) => target.startsWith(prefix));
}
