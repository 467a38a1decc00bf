import assert from "node:assert/strict";
import { anchorAt, bottomScrollTop, isAtBottom, lineWindow, scrollTopFor } from "./line_window.ts";

const box = { lineHeight: 18, viewportHeight: 540 };

Deno.test("lineWindow() draws the visible rows plus a margin, never more than maxRows", () => {
  // At the top: rows 0–29 are visible, 20 more below.
  assert.deepEqual(lineWindow({ ...box, count: 10_000, scrollTop: 0 }), {
    first: 0,
    last: 50,
    offset: 0,
    totalHeight: 180_000,
  });
  // At the bottom: the last 30 rows visible, 20 above.
  const bottom = bottomScrollTop({ ...box, count: 10_000 });
  assert.deepEqual(lineWindow({ ...box, count: 10_000, scrollTop: bottom }), {
    first: 9950,
    last: 10_000,
    offset: 179_100,
    totalHeight: 180_000,
  });
  // A half-scrolled row is drawn.
  const w = lineWindow({ ...box, count: 10_000, scrollTop: 9, margin: 0 });
  assert.deepEqual([w.first, w.last], [0, 31]);
  // A huge viewport (or a broken measurement) is capped.
  const huge = lineWindow({ ...box, count: 10_000, scrollTop: 0, viewportHeight: 1e9 });
  assert.equal(huge.last - huge.first, 400);
});

Deno.test("lineWindow() stays inside the rows for any scroll position and count", () => {
  for (const count of [0, 1, 29, 30, 31, 1000, 50_000]) {
    for (const scrollTop of [-100, 0, 17, 18, 5000, 1e7]) {
      for (const viewportHeight of [0, 100, 540, 2000]) {
        const w = lineWindow({ count, lineHeight: 18, scrollTop, viewportHeight });
        const where = `${count} rows, scrollTop ${scrollTop}, viewport ${viewportHeight}`;
        assert.ok(w.first >= 0 && w.first <= w.last && w.last <= count, where);
        assert.equal(w.offset, w.first * 18, where);
        assert.equal(w.totalHeight, count * 18, where);
        assert.ok(w.last - w.first <= 400, where);
        // Every row that is on screen is drawn.
        const top = Math.min(Math.max(0, scrollTop), Math.max(0, count * 18 - viewportHeight));
        const firstOnScreen = Math.floor(top / 18);
        const lastOnScreen = Math.min(count, Math.ceil((top + viewportHeight) / 18));
        if (lastOnScreen > firstOnScreen && viewportHeight <= 2000) {
          assert.ok(w.first <= firstOnScreen && w.last >= lastOnScreen, where);
        }
      }
    }
  }
});

Deno.test("isAtBottom() follows at the end and stops once the viewer scrolls up a line", () => {
  const count = 1000;
  const end = bottomScrollTop({ ...box, count });
  assert.equal(end, 1000 * 18 - 540);
  assert.equal(isAtBottom({ ...box, count, scrollTop: end }), true);
  assert.equal(isAtBottom({ ...box, count, scrollTop: end - 8 }), true);
  assert.equal(isAtBottom({ ...box, count, scrollTop: end - 18 }), false);
  // New rows below a view that was at the bottom: no longer there until it scrolls.
  assert.equal(isAtBottom({ ...box, count: count + 5, scrollTop: end }), false);
  assert.equal(isAtBottom({ ...box, count: 0, scrollTop: 0 }), true);
});

Deno.test("anchorAt() and scrollTopFor() keep a row in place when rows come and go above", () => {
  const before = anchorAt(9000.5, 18);
  assert.deepEqual(before, { index: 500, within: 0.5 });
  // 300 rows dropped from the top: the row is now at index 200.
  assert.equal(scrollTopFor({ index: before.index - 300, within: before.within }, 18), 3600.5);
  // 900 older rows inserted above it.
  assert.equal(scrollTopFor({ index: before.index + 900, within: before.within }, 18), 25200.5);
  assert.equal(scrollTopFor({ index: -5, within: 0 }, 18), 0);
  assert.deepEqual(anchorAt(-3, 18), { index: 0, within: 0 });
});
