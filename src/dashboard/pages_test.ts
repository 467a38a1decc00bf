import assert from "node:assert/strict";
import { dashboardPage, type DashboardPageOptions, frontPage } from "./pages.ts";
import { exampleSnapshot } from "./client/_example_snapshot.ts";
import type { PipeSnapshot } from "../progress/snapshot.ts";

function options(snapshot: Partial<PipeSnapshot> = {}): DashboardPageOptions {
  return {
    snapshot: exampleSnapshot(snapshot),
    eventsUrl: "/api/v1/pipe/migration?progress&format=sse",
    jsonUrl: "/api/v1/pipe/migration?progress&format=json",
    origin: "http://127.0.0.1:8080",
  };
}

/** The page's inline elements and its Content-Security-Policy. */
function parts(page: string) {
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1];
  const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1];
  const data = /<script type="application\/json" id="ringside-data">([\s\S]*?)<\/script>/.exec(page)
    ?.[1];
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1];
  assert.ok(
    script !== undefined && style !== undefined && data !== undefined && policy !== undefined,
  );
  return { script, style, data, policy: policy.replaceAll("&#39;", "'") };
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}`;
}

async function gzippedSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

Deno.test("dashboardPage() embeds the snapshot and URLs for the first paint", () => {
  const page = dashboardPage(options());
  const data = JSON.parse(parts(page).data);
  assert.deepEqual(data, {
    snapshot: exampleSnapshot({}),
    eventsUrl: "/api/v1/pipe/migration?progress&format=sse",
    jsonUrl: "/api/v1/pipe/migration?progress&format=json",
  });
  assert.match(page, /^<!doctype html>\n<html lang="en">/);
  assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(page, /<title>61% · migration<\/title>/);
  assert.match(page, /<div id="app"><\/div>/);
});

Deno.test("dashboardPage() titles each state so a background tab is useful", () => {
  const titles = (["idle", "waiting", "streaming", "complete", "failed"] as const).map((state) =>
    /<title>(.*)<\/title>/.exec(dashboardPage(options({ state })))?.[1]
  );
  assert.deepEqual(titles, [
    "idle · migration",
    "waiting · migration",
    "61% · migration",
    "✓ 100% · migration",
    "✗ failed · migration",
  ]);
});

Deno.test("dashboardPage() escapes what it puts into HTML and its data script", () => {
  const hostile = `</script><script>alert(1)</script><!--"'&`;
  const page = dashboardPage({
    ...options({ state: "failed", name: `a"b<c>`, error: hostile }),
    eventsUrl: `/x?progress&format=sse"><script>alert(2)</script>`,
  });
  assert.equal(page.includes("alert(1)</script>"), false);
  assert.equal(page.includes("<script>alert(2)"), false);
  assert.equal(page.includes(`a"b<c>`), false);
  const { data } = parts(page);
  assert.equal(data.includes("<"), false);
  assert.equal(JSON.parse(data).snapshot.error, hostile);
  assert.match(page, /<title>✗ failed · a&quot;b&lt;c&gt;<\/title>/);
  // Exactly two script elements: the data and the client.
  assert.equal(page.match(/<script[\s>]/g)?.length, 2);
});

Deno.test("the pages pin their inline script and styles by hash, and talk to their origin only", async () => {
  for (const page of [dashboardPage(options()), frontPage({ origin: "http://127.0.0.1:8080" })]) {
    const { script, style, policy } = parts(page);
    const directives = new Map(
      policy.split(";").map((d) => d.trim().split(/\s+/)).map((
        [name, ...values],
      ) => [name, values]),
    );
    assert.deepEqual(directives.get("default-src"), ["'none'"]);
    assert.deepEqual(directives.get("script-src"), [`'${await sha256(script)}'`]);
    assert.deepEqual(directives.get("style-src"), [`'${await sha256(style)}'`]);
    assert.deepEqual(directives.get("connect-src"), ["'self'"]);
    assert.deepEqual(directives.get("img-src"), ["'self'"]);
    assert.deepEqual(directives.get("manifest-src"), ["'self'"]);
  }
});

Deno.test("the pages make no request to another host", () => {
  for (const page of [dashboardPage(options()), frontPage({ origin: "http://127.0.0.1:8080" })]) {
    const markup = page.replace(
      /<noscript>[\s\S]*?<\/noscript>|<script[^>]*>[\s\S]*?<\/script>/g,
      "",
    );
    // No src/href to another host: the only URL-bearing attributes are the icon and the
    // manifest, on this server.
    assert.deepEqual(
      [...markup.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]),
      ["/static/favicon.svg", "/static/manifest.webmanifest"],
    );
    assert.equal(/@import|url\(\s*['"]?https?:/i.test(parts(page).style), false);
  }
});

Deno.test("each page is under 40 KB gzipped", async () => {
  const pages = {
    dashboard: dashboardPage(options()),
    front: frontPage({ origin: "http://127.0.0.1:8080" }),
  };
  for (const [name, page] of Object.entries(pages)) {
    const size = await gzippedSize(page);
    assert.ok(size < 40_000, `${name} page is ${size} bytes gzipped`);
  }
});

Deno.test("dashboardPage() has a no-script summary with the state and the curl lines", () => {
  const page = dashboardPage(options({ state: "failed", error: "Sender disconnected" }));
  const fallback = /<noscript>([\s\S]*?)<\/noscript>/.exec(page)?.[1] ?? "";
  assert.match(fallback, /Failed: 61\.8% · 5\.05 GB of 8\.16 GB/);
  assert.match(fallback, /Sender disconnected/);
  assert.match(
    fallback,
    /curl -N &#39;http:\/\/127\.0\.0\.1:8080\/api\/v1\/pipe\/migration\?progress&amp;format=sse&#39;/,
  );
});

Deno.test("frontPage() fills in this server's address and escapes it", () => {
  const page = frontPage({ origin: "http://127.0.0.1:8080" });
  assert.match(page, /<title>ringside<\/title>/);
  assert.match(page, /curl -o file\.tar http:\/\/127\.0\.0\.1:8080\/api\/v1\/pipe\/NAME/);
  const odd = frontPage({ origin: `http://x"><script>alert(1)</script>` });
  assert.equal(odd.includes("<script>alert(1)"), false);
  assert.deepEqual(JSON.parse(parts(page).data), {});
});
