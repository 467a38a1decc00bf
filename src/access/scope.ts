/**
 * A JWT's `scope` claim as a list of `kind:name` entries (see {@linkcode scopeAllows}): a JSON list of strings, or one
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
  throw new TypeError('Invalid scope claim (a list of entries such as "job:ci")');
}

/**
 * Whether a scope lets its token touch `target` (`kind:name`, e.g. `job:ci/build-7`): some
 * entry of the scope covers it. An entry `kind:name` covers that name and the names under it
 * as a path (`job:ci` covers `ci` and `ci/7`, never `ci-other`); `kind:name/` only the names
 * under it; a trailing `*` makes an explicit string prefix (`pipe:backup-*`); `kind:` or
 * `kind:*` every name of that kind. `null` (no scope claim) allows everything; an empty list
 * allows nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scopeAllows } from "./scope.ts";
 * assert.equal(scopeAllows(["job:ci", "pipe:backup-*"], "job:ci/build-7"), true);
 * assert.equal(scopeAllows(["job:ci"], "job:ci"), true);
 * assert.equal(scopeAllows(["job:ci"], "job:ci-other"), false);
 * assert.equal(scopeAllows(["task:build"], "task:build-prod"), false);
 * assert.equal(scopeAllows(["pipe:backup-*"], "pipe:backup-db"), true);
 * assert.equal(scopeAllows(["job:ci/"], "job:ci/7"), true);
 * assert.equal(scopeAllows(["job:ci/"], "job:ci"), false);
 * assert.equal(scopeAllows(["pipe:"], "pipe:anything"), true);
 * assert.equal(scopeAllows(["job:ci"], "pipe:ci"), false);
 * assert.equal(scopeAllows([], "pipe:a"), false);
 * assert.equal(scopeAllows(null, "pipe:a"), true);
 * ```
 */
export function scopeAllows(scope: readonly string[] | null, target: string): boolean {
  return scope === null || scope.some((entry) => entryCovers(entry, target));
}

function entryCovers(entry: string, target: string): boolean {
  if (entry.endsWith("*")) return target.startsWith(entry.slice(0, -1));
  if (entry.endsWith(":") || entry.endsWith("/")) return target.startsWith(entry);
  return target === entry || target.startsWith(`${entry}/`);
}
