import assert from "node:assert/strict";
import { type App, createApp } from "../app.ts";
import { defaultConfig } from "../config.ts";

const cases = [
  ["/favicon.ico", "image/svg+xml", /^<svg /],
  ["/static/favicon.svg", "image/svg+xml", /^<svg /],
  ["/static/manifest.webmanifest", "application/manifest+json", /"display": "standalone"/],
  ["/robots.txt", "text/plain; charset=utf-8", /^User-agent: \*\nDisallow: \/\n$/],
  ["/static/robots.txt", "text/plain; charset=utf-8", /^User-agent: \*\nDisallow: \/\n$/],
] as const;

/** Runs `test` on a fresh app, and closes the app's tracker however it ends. */
async function withApp(test: (app: App["app"]) => Promise<void>): Promise<void> {
  const { app, tracker } = createApp(defaultConfig());
  try {
    await test(app);
  } finally {
    tracker.close();
  }
}

Deno.test("static files: content type, caching headers, body", () =>
  withApp(async (app) => {
    for (const [path, type, body] of cases) {
      const res = await app.request(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("content-type"), type, path);
      assert.equal(res.headers.get("cache-control"), "public, max-age=86400", path);
      assert.match(res.headers.get("etag") ?? "", /^"[\w-]{22}"$/, path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
      assert.match(await res.text(), body, path);
    }
  }));

Deno.test("the manifest is JSON a phone can install from, its icon served here", () =>
  withApp(async (app) => {
    const manifest = await (await app.request("/static/manifest.webmanifest")).json();
    assert.equal(manifest.display, "standalone");
    assert.ok(manifest.name && manifest.short_name);
    for (const icon of manifest.icons as { src: string; type: string }[]) {
      const res = await app.request(icon.src);
      assert.equal(res.status, 200, icon.src);
      assert.equal(res.headers.get("content-type"), icon.type);
      await res.body?.cancel();
    }
  }));

Deno.test("static files: If-None-Match with the ETag gets 304 and no body; another gets 200", () =>
  withApp(async (app) => {
    const first = await app.request("/static/favicon.svg");
    const etag = first.headers.get("etag")!;
    await first.body?.cancel();
    const again = await app.request("/static/favicon.svg", {
      headers: { "if-none-match": `"other", W/${etag}` },
    });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get("etag"), etag);
    assert.equal(await again.text(), "");
    const stale = await app.request("/static/favicon.svg", {
      headers: { "if-none-match": `"other"` },
    });
    assert.equal(stale.status, 200);
    await stale.body?.cancel();
  }));

Deno.test("static files: an unknown file, a stylesheet (inlined, not served), a prototype key → 404", () =>
  withApp(async (app) => {
    for (const path of ["/static/nope.js", "/static/base.css", "/static/constructor", "/static/"]) {
      const res = await app.request(path);
      assert.equal(res.status, 404, path);
      const { error } = await res.json();
      assert.equal(typeof error, "string", path);
      assert.ok(!error.includes("\n"), `${path}: one line, got ${JSON.stringify(error)}`);
    }
    const put = await app.request("/static/x", { method: "PUT", body: "no pipe here" });
    // Not a pipe: /static/ takes GET and HEAD only.
    assert.equal(put.status, 405);
    assert.equal(put.headers.get("allow"), "GET, HEAD, OPTIONS");
    await put.body?.cancel();
  }));
