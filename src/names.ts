const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * Checks a pipe, job or process name: 1–256 characters of `A-Z a-z 0-9 . _ ~ -` in segments
 * joined by `/`, no empty segment, no `.` or `..` segment. The name is taken as it stands in the
 * URL, so a percent-escape is not a valid character.
 *
 * @returns the error message, or `null` when the name is valid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nameError } from "./names.ts";
 * assert.equal(nameError("backups/db-2026.tar"), null);
 * assert.equal(nameError("a/../b"), "Invalid name 'a/../b': '.' and '..' segments are not allowed");
 * ```
 */
export function nameError(name: string): string | null {
  if (name.length === 0) return "Missing name";
  if (name.length > 256) return `Invalid name: ${name.length} characters, at most 256`;
  for (const segment of name.split("/")) {
    if (segment === "") return `Invalid name '${name}': empty segment`;
    if (segment === "." || segment === "..") {
      return `Invalid name '${name}': '.' and '..' segments are not allowed`;
    }
    if (!SEGMENT.test(segment)) {
      return `Invalid name '${name}': use only A-Z a-z 0-9 . _ ~ - and /`;
    }
  }
  return null;
}
