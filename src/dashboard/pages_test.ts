import assert from "node:assert/strict";
import {
  dashboardPage,
  frontPage,
  jobDashboardPage,
  type LivePageOptions,
  processDashboardPage,
} from "./pages.ts";
import { exampleJob, exampleProcess, exampleSnapshot } from "./client/_example_snapshot.ts";
import type { JobSnapshot, PipeSnapshot, ProcessSnapshot } from "../progress/snapshot.ts";

/** A live page's options: `snapshot`, and the URLs of `api` (which ends in `?` or `&`). */
function pageOptions<S>(snapshot: S, api: string): LivePageOptions<S> {
  return {
    snapshot,
    eventsUrl: `${api}format=sse`,
    jsonUrl: `${api}format=json`,
    origin: "http://127.0.0.1:8080",
  };
}

function options(snapshot: Partial<PipeSnapshot> = {}) {
  return pageOptions(exampleSnapshot(snapshot), "/api/v1/pipe/migration?progress&");
}

function jobOptions(snapshot: Partial<JobSnapshot> = {}) {
  return pageOptions(exampleJob(snapshot), "/api/v1/jobs/transcode-42?");
}

function processOptions(snapshot: Partial<ProcessSnapshot> = {}) {
  return pageOptions(exampleProcess(snapshot), "/api/v1/processes/build-1?");
}

/** Every page, in a typical state. */
function allPages(): Record<string, string> {
  return {
    dashboard: dashboardPage(options()),
    job: jobDashboardPage(jobOptions()),
    process: processDashboardPage(processOptions()),
    front: frontPage({ origin: "http://127.0.0.1:8080" }),
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

/**
 * Asserts that the page of a failed `a"b<c>` whose error is `hostile` carries both escaped: in
 * its markup, its title and its data script.
 */
function assertEscapesFailure(page: string, hostile: string) {
  assert.equal(page.includes("alert(1)</script>"), false);
  assert.equal(page.includes(`a"b<c>`), false);
  const { data } = parts(page);
  assert.equal(data.includes("<"), false);
  assert.equal(JSON.parse(data).snapshot.error, hostile);
  assert.match(page, /<title>✗ failed · a&quot;b&lt;c&gt;<\/title>/);
  // Exactly two script elements: the data and the client.
  assert.equal(page.match(/<script[\s>]/g)?.length, 2);
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}`;
}

async function gzippedSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** A live page, what it embeds for its script, and its title. */
const livePages = [
  {
    page: () => dashboardPage(options()),
    snapshot: exampleSnapshot({}),
    url: "/api/v1/pipe/migration?progress&format=",
    title: "61% · migration",
  },
  {
    page: () => jobDashboardPage(jobOptions()),
    snapshot: exampleJob({}),
    url: "/api/v1/jobs/transcode-42?format=",
    title: "40% · transcode-42",
  },
  {
    page: () => processDashboardPage(processOptions()),
    snapshot: exampleProcess({}),
    url: "/api/v1/processes/build-1?format=",
    title: "● running · build-1",
  },
];

Deno.test("the live pages embed the snapshot and URLs for the first paint, and a title", () => {
  for (const live of livePages) {
    const page = live.page();
    assert.deepEqual(JSON.parse(parts(page).data), {
      snapshot: live.snapshot,
      eventsUrl: `${live.url}sse`,
      jsonUrl: `${live.url}json`,
    });
    assert.match(page, /^<!doctype html>\n<html lang="en">/);
    assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    assert.equal(/<title>(.*)<\/title>/.exec(page)?.[1], live.title);
    assert.match(page, /<div id="app"><\/div>/);
  }
});

Deno.test("the live pages title each state so a background tab is useful", () => {
  const titles: [string, string][] = [
    [dashboardPage(options({ state: "idle" })), "idle · migration"],
    [dashboardPage(options({ state: "waiting" })), "waiting · migration"],
    [dashboardPage(options({ state: "streaming" })), "61% · migration"],
    [dashboardPage(options({ state: "complete" })), "✓ 100% · migration"],
    [dashboardPage(options({ state: "failed" })), "✗ failed · migration"],
    [jobDashboardPage(jobOptions()), "40% · transcode-42"],
    [jobDashboardPage(jobOptions({ data: { state: "queued" } })), "queued · transcode-42"],
    [
      jobDashboardPage(jobOptions({ state: "success", result: { ok: true } })),
      "✓ success · transcode-42",
    ],
    [jobDashboardPage(jobOptions({ state: "failed", error: "boom" })), "✗ failed · transcode-42"],
    [processDashboardPage(processOptions()), "● running · build-1"],
    [
      processDashboardPage(processOptions({ status: "exited", exitCode: 0 })),
      "✓ exited 0 · build-1",
    ],
    [
      processDashboardPage(processOptions({ status: "exited", exitCode: 7 })),
      "✗ exited 7 · build-1",
    ],
    [processDashboardPage(processOptions({ status: "killed" })), "✗ killed · build-1"],
  ];
  assert.deepEqual(
    titles.map(([page]) => /<title>(.*)<\/title>/.exec(page)?.[1]),
    titles.map(([, title]) => title),
  );
});

Deno.test("dashboardPage() escapes what it puts into HTML and its data script", () => {
  const hostile = `</script><script>alert(1)</script><!--"'&`;
  const page = dashboardPage({
    ...options({ state: "failed", name: `a"b<c>`, error: hostile }),
    eventsUrl: `/x?progress&format=sse"><script>alert(2)</script>`,
  });
  assert.equal(page.includes("<script>alert(2)"), false);
  assertEscapesFailure(page, hostile);
});

Deno.test("the pages pin their inline script and styles by hash, and talk to their origin only", async () => {
  for (const page of Object.values(allPages())) {
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
  for (const page of Object.values(allPages())) {
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
  for (const [name, page] of Object.entries(allPages())) {
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

Deno.test("jobDashboardPage() escapes what it puts into HTML and its data script", () => {
  const hostile = `</script><script>alert(1)</script><!--"'&`;
  const page = jobDashboardPage(jobOptions({
    id: `a"b<c>`,
    state: "failed",
    error: hostile,
    data: { message: hostile, state: hostile, [hostile]: hostile },
  }));
  assertEscapesFailure(page, hostile);
  const result = jobDashboardPage(jobOptions({ state: "success", result: { [hostile]: hostile } }));
  assert.equal(result.includes("alert(1)</script>"), false);
});

Deno.test("jobDashboardPage() has a no-script summary: state, message, error or result, curl lines", () => {
  const fallback = (page: string) => /<noscript>([\s\S]*?)<\/noscript>/.exec(page)?.[1] ?? "";
  const running = fallback(jobDashboardPage(jobOptions()));
  assert.match(running, /transcribing: 40% · chunk 4\/10/);
  assert.match(
    running,
    /curl -N &#39;http:\/\/127\.0\.0\.1:8080\/api\/v1\/jobs\/transcode-42\?format=sse&#39;/,
  );
  const failed = fallback(jobDashboardPage(jobOptions({ state: "failed", error: "disk full" })));
  assert.match(failed, /<p class="alert">disk full<\/p>/);
  const done = fallback(
    jobDashboardPage(jobOptions({ state: "success", result: { ok: true, url: "s3://x" } })),
  );
  assert.match(done, /<dt>url<\/dt><dd>s3:\/\/x<\/dd>/);
});

Deno.test("processDashboardPage() escapes lines and shows them without escape codes when scripts are off", () => {
  const hostile = `</script><script>alert(1)</script>\u001b[31m<b>red</b>\u001b]0;t\u0007`;
  const page = processDashboardPage(processOptions({
    id: `x<y>`,
    tail: [{ seq: 1, stream: "stderr", line: hostile }],
  }));
  assert.equal(page.includes("alert(1)</script>"), false);
  assert.equal(page.includes("<b>red</b>"), false);
  assert.equal(page.match(/<script[\s>]/g)?.length, 2);
  const { data } = parts(page);
  assert.equal(data.includes("<"), false);
  assert.equal(JSON.parse(data).snapshot.tail[0].line, hostile);
  const fallback = /<noscript>([\s\S]*?)<\/noscript>/.exec(page)?.[1] ?? "";
  assert.match(
    fallback,
    /<pre>&lt;\/script&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;b&gt;red&lt;\/b&gt;<\/pre>/,
  );
  assert.match(fallback, /running · 3 lines · 9 s/);
  assert.match(page, /<title>● running · x&lt;y&gt;<\/title>/);
});

Deno.test("the process page stays under 40 KB gzipped with a full 100-line tail", async () => {
  const tail = Array.from({ length: 100 }, (_, i) => ({
    seq: i + 1,
    stream: "stdout" as const,
    line: `\u001b[32m${"x".repeat(200)}\u001b[0m`,
  }));
  const process = processDashboardPage(processOptions({ tail, lines: 100 }));
  // The tail is data the page must carry; what is measured is everything else staying small.
  const size = await gzippedSize(process);
  assert.ok(size < 40_000, `process page with a full tail is ${size} bytes gzipped`);
});
