import assert from "node:assert/strict";
import { BADGE_COLORS, badgeState, badgeSvg } from "./badge.ts";
import { badgeResponse } from "./badge_response.ts";
import { textWidth } from "./text_width.ts";

Deno.test("badge: every kind's states", () => {
  const cases: [unknown, string, string][] = [
    [{ kind: "pipe", state: "idle" }, "waiting", BADGE_COLORS.waiting],
    [{ kind: "pipe", state: "waiting" }, "waiting", BADGE_COLORS.waiting],
    [{ kind: "pipe", state: "streaming", percent: 99.99 }, "99%", BADGE_COLORS.running],
    [{ kind: "pipe", state: "streaming", percent: null }, "running", BADGE_COLORS.running],
    [{ kind: "pipe", state: "complete", percent: 100 }, "✓ done", BADGE_COLORS.done],
    [{ kind: "pipe", state: "failed" }, "✗ failed", BADGE_COLORS.failed],
    [{ kind: "job", state: "running", data: {} }, "running", BADGE_COLORS.running],
    [{ kind: "job", state: "running", data: { progress: 140 } }, "100%", BADGE_COLORS.running],
    [{ kind: "job", state: "running", data: { progress: "40" } }, "running", BADGE_COLORS.running],
    [{ kind: "job", state: "failed" }, "✗ failed", BADGE_COLORS.failed],
    [{ kind: "process", status: "running" }, "running", BADGE_COLORS.running],
    [{ kind: "process", status: "exited", exitCode: 0 }, "✓ done", BADGE_COLORS.done],
    [{ kind: "process", status: "killed" }, "✗ killed", BADGE_COLORS.failed],
    [{ kind: "process", status: "failed" }, "✗ failed", BADGE_COLORS.failed],
    [null, "waiting", BADGE_COLORS.waiting],
  ];
  for (const [snapshot, value, color] of cases) {
    assert.deepEqual(badgeState(snapshot), { value, color }, JSON.stringify(snapshot));
  }
});

Deno.test("badge: the boxes grow with the text; the total is their sum", () => {
  const widths = (label: string) => {
    const svg = badgeSvg({ label, state: { value: "running", color: "#007ec6" } });
    const number = (pattern: RegExp) => Number(pattern.exec(svg)![1]);
    return {
      total: number(/^<svg [^>]*width="([\d.]+)"/),
      left: number(/<rect width="([\d.]+)" height="20" fill="#555"\/>/),
      right: number(/<rect x="[\d.]+" width="([\d.]+)"/),
    };
  };
  const short = widths("ci");
  const long = widths("nightly backup");
  assert.ok(long.left > short.left);
  assert.equal(long.right, short.right);
  assert.ok(Math.abs(long.total - long.left - long.right) < 0.2);
  assert.ok(Math.abs(long.right - textWidth("running") - 12) < 0.2);
});

Deno.test("badge: a hostile label is escaped, control characters dropped, long ones cut", () => {
  const svg = badgeSvg({
    label: `a&b<c>"d"'e'\u0000\u001b\ud800` + "x".repeat(100),
    state: { value: "✓ done", color: "#4c1" },
  });
  assert.match(svg, /a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;x/);
  assert.equal([...svg].some((c) => c.charCodeAt(0) < 0x20), false);
  assert.equal(/\ud800/.test(svg), false);
  assert.match(svg, /x…: ✓ done<\/title>/);
  // Nothing active: no script, no foreign reference, no event handler.
  assert.equal(/<script|href=|\son\w+=/i.test(svg), false);
});

Deno.test("badge response: headers, label, ETag and 304", async () => {
  const snapshot = { kind: "pipe", name: "db", state: "streaming", percent: 61.8 };
  const res = badgeResponse(new Request("http://h/db?progress&format=svg"), snapshot);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.equal(
    res.headers.get("content-security-policy"),
    "default-src 'none'; style-src 'unsafe-inline'",
  );
  assert.match(res.headers.get("etag")!, /^"[0-9a-f]{16}"$/);
  const svg = await res.text();
  assert.match(svg, /<title>pipe: 61%<\/title>/);
  const etag = res.headers.get("etag")!;
  for (const header of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
    const again = badgeResponse(
      new Request("http://h/db?progress&format=svg", { headers: { "if-none-match": header } }),
      snapshot,
    );
    assert.equal(again.status, 304, header);
    assert.equal(again.headers.get("etag"), etag);
    assert.equal(await again.text(), "");
  }
  const moved = badgeResponse(
    new Request("http://h/db?progress&format=svg", { headers: { "if-none-match": etag } }),
    { ...snapshot, percent: 62.1 },
  );
  assert.equal(moved.status, 200);
  assert.notEqual(moved.headers.get("etag"), etag);
  await moved.body?.cancel();
  const labelled = badgeResponse(new Request("http://h/x?format=svg&label=db%20backup"), snapshot);
  assert.match(await labelled.text(), /<title>db backup: 61%<\/title>/);
});
