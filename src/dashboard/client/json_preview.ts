/**
 * A published JSON value as a person reads it on the job page: indented like
 * `JSON.stringify(value, null, 2)`, but in time and size bounded by what it shows. The server
 * runs it for the page's first render and every watcher's browser on each event, so a value
 * built to be costly (thousands of levels deep, where indented JSON grows with the square of the
 * depth) must cost no more than a small one.
 *
 * @module
 */

/** Options for {@linkcode previewJson}. */
export interface PreviewOptions {
  /**
   * The most characters written; past it the text is cut and ends with `…`, and the rest of
   * the value is not visited.
   * @default {4000}
   */
  maxChars?: number;
  /**
   * The most levels of objects and arrays opened (the value itself is level 1); deeper ones
   * are written `{…}` and `[…]`, which also bounds a line's indentation.
   * @default {16}
   */
  maxDepth?: number;
}

/** An object or array being written: what closes it, what is left to write. */
interface Open {
  close: string;
  /** The object's keys, or `null` for an array. */
  keys: string[] | null;
  container: Record<string, unknown> | unknown[];
  index: number;
  depth: number;
}

/**
 * Writes `value` as indented JSON of at most `maxChars` characters (plus a final `…` when cut),
 * with objects and arrays below `maxDepth` levels shown as `{…}` and `[…]`. It walks the value
 * with a stack of its own (no recursion, so no depth overflows it), stops as soon as the budget
 * is spent, and cuts long strings and keys before escaping them: the work is linear in what is
 * written plus the keys of the objects it opens. Values JSON has no text for are `null`, as
 * `JSON.stringify` writes them in arrays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { previewJson } from "./json_preview.ts";
 * assert.equal(previewJson({ a: [1, "x"] }), '{\n  "a": [\n    1,\n    "x"\n  ]\n}');
 * assert.equal(previewJson([[[1]]], { maxDepth: 2 }), "[\n  [\n    […]\n  ]\n]");
 * assert.equal(previewJson({ long: "y".repeat(100) }, { maxChars: 20 }), '{\n  "long": "yyyyyyy…');
 * ```
 */
export function previewJson(value: unknown, options: PreviewOptions = {}): string {
  const maxChars = options.maxChars ?? 4000;
  const maxDepth = options.maxDepth ?? 16;
  const parts: string[] = [];
  let length = 0;
  let cut = false;
  const write = (text: string) => {
    if (length + text.length > maxChars) {
      parts.push(text.slice(0, maxChars - length));
      length = maxChars;
      cut = true;
    } else {
      parts.push(text);
      length += text.length;
    }
  };
  const quoted = (text: string) => JSON.stringify(text.slice(0, maxChars - length + 1));
  const stack: Open[] = [];
  let next: { value: unknown; depth: number } | null = { value, depth: 1 };
  while (!cut) {
    if (next !== null) {
      const { value: item, depth } = next;
      next = null;
      if (typeof item === "string") write(quoted(item));
      else if (typeof item === "number") write(Number.isFinite(item) ? String(item) : "null");
      else if (typeof item === "boolean") write(String(item));
      else if (typeof item !== "object" || item === null) write("null");
      else {
        const keys = Array.isArray(item) ? null : Object.keys(item);
        const [open, close] = keys === null ? ["[", "]"] : ["{", "}"];
        const size = keys === null ? (item as unknown[]).length : keys.length;
        if (size === 0) write(open + close);
        else if (depth > maxDepth) write(`${open}…${close}`);
        else {
          write(open);
          stack.push({
            close,
            keys,
            container: item as Record<string, unknown> | unknown[],
            index: 0,
            depth,
          });
        }
      }
      continue;
    }
    const top = stack.at(-1);
    if (top === undefined) break;
    const size = top.keys === null ? (top.container as unknown[]).length : top.keys.length;
    if (top.index === size) {
      stack.pop();
      write(`\n${"  ".repeat(top.depth - 1)}${top.close}`);
      continue;
    }
    const i = top.index++;
    write(`${i === 0 ? "" : ","}\n${"  ".repeat(top.depth)}`);
    if (top.keys === null) {
      next = { value: (top.container as unknown[])[i], depth: top.depth + 1 };
    } else {
      const key = top.keys[i]!;
      write(`${quoted(key)}: `);
      next = { value: (top.container as Record<string, unknown>)[key], depth: top.depth + 1 };
    }
  }
  return cut ? `${parts.join("")}…` : parts.join("");
}
