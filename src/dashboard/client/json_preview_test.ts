import assert from "node:assert/strict";
import { previewJson } from "./json_preview.ts";

/** `{"a":[[[…]]]}`, `levels` deep in all, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let inner: unknown[] = [];
  for (let i = 2; i < levels; i++) inner = [inner];
  return { a: inner };
}

Deno.test("previewJson() writes small values as JSON.stringify(value, null, 2) does", () => {
  const values: unknown[] = [
    { progress: 40, parts: [1, 2, { name: 'a"b\n', ok: true, none: null }], empty: [], nil: {} },
    [],
    {},
    "text",
    -1.5e-7,
    false,
    null,
    [[["deep"]], { k: [{}] }],
  ];
  for (const value of values) assert.equal(previewJson(value), JSON.stringify(value, null, 2));
});

Deno.test("previewJson() writes what JSON has no text for as null", () => {
  assert.equal(previewJson([NaN, Infinity, undefined]), "[\n  null,\n  null,\n  null\n]");
});

Deno.test("previewJson() shows levels past maxDepth as {…} and […]", () => {
  assert.equal(
    previewJson({ a: { b: { c: 1 } }, l: [[2]] }, { maxDepth: 2 }),
    '{\n  "a": {\n    "b": {…}\n  },\n  "l": [\n    […]\n  ]\n}',
  );
  assert.equal(previewJson({ a: 1 }, { maxDepth: 0 }), "{…}");
  assert.equal(previewJson({ e: {} }, { maxDepth: 1 }), '{\n  "e": {}\n}', "empty ones are shown");
});

Deno.test("previewJson() stops at maxChars, long strings and keys included", () => {
  const long = previewJson({ k: "x".repeat(1_000_000) }, { maxChars: 100 });
  assert.equal(long.length, 101);
  assert.ok(long.startsWith('{\n  "k": "xxx') && long.endsWith("x…"));
  const key = previewJson({ ["k".repeat(1_000_000)]: 1 }, { maxChars: 100 });
  assert.equal(key.length, 101);
  const wide = previewJson(Array.from({ length: 100_000 }, (_, i) => i), { maxChars: 50 });
  assert.equal(
    wide,
    `${JSON.stringify(Array.from({ length: 100 }, (_, i) => i), null, 2).slice(0, 50)}…`,
  );
  const exact = JSON.stringify([1, 2], null, 2);
  assert.equal(
    previewJson([1, 2], { maxChars: exact.length }),
    exact,
    "exactly the budget: not cut",
  );
});

Deno.test("previewJson() renders the pen test's 30,000 levels within its bounds (no stack overflow)", () => {
  // Indented JSON of this value is ~900 million characters: past the longest string a runtime
  // allows, after seconds of work. The preview writes a few hundred.
  const deep = nested(30_000);
  const text = previewJson(deep);
  assert.ok(text.startsWith('{\n  "a": [\n    [\n'), text.slice(0, 40));
  assert.ok(text.includes("[…]"));
  assert.ok(text.length < 1000, String(text.length));
  const unbounded = previewJson(deep, { maxDepth: Infinity, maxChars: 10_000 });
  assert.equal(unbounded.length, 10_001);
});
