// End-to-end: static files (favicon, web app manifest, robots.txt) from a real server (bun,
// deno or the binary: RINGSIDE_TEST_RUNTIME). The server runs in an empty folder, so they come
// from what was built into it, never from disk.
import assert from "node:assert/strict";
import { curl } from "./_curl.ts";
import { startServer, testRuntime } from "./_server.ts";

Deno.test(`static files over a real socket (${testRuntime})`, async (t) => {
  await using server = await startServer();
  const { origin } = server;

  await t.step(
    "favicon, manifest and robots.txt with their types and caching headers",
    async () => {
      const expected = [
        ["/favicon.ico", "image/svg+xml"],
        ["/static/favicon.svg", "image/svg+xml"],
        ["/static/manifest.webmanifest", "application/manifest+json"],
        ["/robots.txt", "text/plain; charset=utf-8"],
      ] as const;
      for (const [path, type] of expected) {
        const res = await fetch(`${origin}${path}`);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get("content-type"), type, path);
        assert.equal(res.headers.get("cache-control"), "public, max-age=86400", path);
        assert.ok(res.headers.get("etag"), path);
        const body = await res.text();
        if (path === "/robots.txt") assert.equal(body, "User-agent: *\nDisallow: /\n");
        if (path.endsWith(".webmanifest")) assert.equal(JSON.parse(body).display, "standalone");
      }
    },
  );

  await t.step("curl revalidating with the ETag gets 304 and no body", async () => {
    const first = await fetch(`${origin}/static/manifest.webmanifest`);
    await first.body?.cancel();
    const etag = first.headers.get("etag")!;
    const check = curl(
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{size_download}",
      "-H",
      `If-None-Match: ${etag}`,
      `${origin}/static/manifest.webmanifest`,
    );
    check.stdin.close();
    const result = await check.result;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "304 0");
  });

  await t.step("an unknown /static/ file is 404 with one line, not a pipe", async () => {
    for (const path of ["/static/nope.js", "/static/dashboard.css", "/static/a/b"]) {
      const res = await fetch(`${origin}${path}`);
      assert.equal(res.status, 404, path);
      assert.match((await res.json()).error, /^No static file '.+'$/, path);
    }
    const put = await fetch(`${origin}/static/secret`, { method: "PUT", body: "bytes" });
    // Not a pipe: /static/ takes GET and HEAD only.
    assert.equal(put.status, 405);
    assert.equal(put.headers.get("allow"), "GET, HEAD, OPTIONS");
    await put.body?.cancel();
  });

  await t.step("HEAD gets the headers without a body", async () => {
    const res = await fetch(`${origin}/favicon.ico`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/svg+xml");
    assert.equal(await res.text(), "");
  });
});
