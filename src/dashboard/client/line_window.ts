/**
 * The arithmetic of a windowed list of fixed-height rows: which rows are elements for a
 * scroll position, how tall the spacer is, whether the view is at the bottom (following), and
 * where to scroll to keep the same row in view when rows come and go above it. Pure, so it is
 * tested without a browser.
 *
 * @module
 */

/** A scroll box showing `count` rows of `lineHeight` pixels. */
export interface WindowInput {
  count: number;
  lineHeight: number;
  scrollTop: number;
  viewportHeight: number;
  /** Rows drawn above and below the visible ones, so a quick scroll shows no blank. @default 20 */
  margin?: number;
  /** The most rows ever drawn, whatever the viewport says. @default 400 */
  maxRows?: number;
}

/** The rows to draw: `first` to `last` (exclusive), placed `offset` pixels down a spacer of `totalHeight`. */
export interface LineWindow {
  first: number;
  last: number;
  offset: number;
  totalHeight: number;
}

/**
 * The rows to draw for a scroll position.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineWindow } from "./line_window.ts";
 * // 10,000 rows of 18 px, 540 px visible (30 rows), scrolled to row 5,000.
 * assert.deepEqual(
 *   lineWindow({ count: 10_000, lineHeight: 18, scrollTop: 90_000, viewportHeight: 540 }),
 *   { first: 4980, last: 5050, offset: 89_640, totalHeight: 180_000 },
 * );
 * ```
 */
export function lineWindow(input: WindowInput): LineWindow {
  const { count, lineHeight } = input;
  const margin = input.margin ?? 20;
  const maxRows = input.maxRows ?? 400;
  const totalHeight = count * lineHeight;
  const viewport = Math.max(0, input.viewportHeight);
  const top = clamp(input.scrollTop, 0, Math.max(0, totalHeight - viewport));
  const firstVisible = Math.floor(top / lineHeight);
  const lastVisible = Math.ceil((top + viewport) / lineHeight);
  const first = clamp(firstVisible - margin, 0, count);
  const last = clamp(Math.min(lastVisible + margin, first + maxRows), first, count);
  return { first, last, offset: first * lineHeight, totalHeight };
}

/**
 * Whether a scroll position shows the last row: the view follows new rows while it does.
 * Half a row of slack absorbs sub-pixel scroll positions on zoomed or high-density screens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isAtBottom } from "./line_window.ts";
 * const box = { count: 100, lineHeight: 18, viewportHeight: 540 };
 * assert.equal(isAtBottom({ ...box, scrollTop: 1260 }), true); // 1800 - 540
 * assert.equal(isAtBottom({ ...box, scrollTop: 1252.5 }), true);
 * assert.equal(isAtBottom({ ...box, scrollTop: 1200 }), false);
 * assert.equal(isAtBottom({ ...box, count: 10, scrollTop: 0 }), true); // all rows fit
 * ```
 */
export function isAtBottom(
  input: { count: number; lineHeight: number; scrollTop: number; viewportHeight: number },
): boolean {
  return input.scrollTop + input.viewportHeight >= bottomOf(input) - input.lineHeight / 2;
}

/**
 * The scroll position that shows the last row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bottomScrollTop } from "./line_window.ts";
 * assert.equal(bottomScrollTop({ count: 100, lineHeight: 18, viewportHeight: 540 }), 1260);
 * assert.equal(bottomScrollTop({ count: 10, lineHeight: 18, viewportHeight: 540 }), 0);
 * ```
 */
export function bottomScrollTop(
  input: { count: number; lineHeight: number; viewportHeight: number },
): number {
  return Math.max(0, bottomOf(input) - input.viewportHeight);
}

/** Where the view is, as a row and the pixels scrolled into it, to survive rows changing above. */
export interface Anchor {
  index: number;
  within: number;
}

/**
 * The row at the top of the view.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { anchorAt, scrollTopFor } from "./line_window.ts";
 * const anchor = anchorAt(1000, 18); // row 55, 10 px in
 * assert.deepEqual(anchor, { index: 55, within: 10 });
 * // 100 rows were inserted above it: it is row 155 now.
 * assert.equal(scrollTopFor({ index: 155, within: anchor.within }, 18), 2800);
 * ```
 */
export function anchorAt(scrollTop: number, lineHeight: number): Anchor {
  const index = Math.floor(Math.max(0, scrollTop) / lineHeight);
  return { index, within: Math.max(0, scrollTop) - index * lineHeight };
}

/** The scroll position that puts an anchor's row back at the top of the view. */
export function scrollTopFor(anchor: Anchor, lineHeight: number): number {
  return Math.max(0, anchor.index * lineHeight + anchor.within);
}

function bottomOf(input: { count: number; lineHeight: number }): number {
  return input.count * input.lineHeight;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
