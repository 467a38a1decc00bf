/**
 * A test helper for the view tests: asserts several fields of a view at once, so that a failure
 * shows every field that differs, not only the first.
 *
 * @module
 */

import assert from "node:assert/strict";

/**
 * Asserts that `actual` has the values `expected` names (strictly, as `assert.deepEqual`), and
 * says nothing about its other fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertFields } from "./_assert_fields.ts";
 * const view = { label: "Done", percent: 100, title: "✓ 100% · a" };
 * assertFields(view, { label: "Done", percent: 100 });
 * assert.throws(() => assertFields(view, { label: "Done", percent: 99 }), assert.AssertionError);
 * ```
 */
export function assertFields<T extends object>(actual: T, expected: Partial<T>): void {
  const picked: Partial<T> = {};
  for (const key of Object.keys(expected) as (keyof T)[]) picked[key] = actual[key];
  assert.deepEqual(picked, expected);
}
