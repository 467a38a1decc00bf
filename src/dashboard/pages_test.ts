import assert from "node:assert/strict";
import {
  dashboardPage,
  type DashboardPageOptions,
  frontPage,
  jobDashboardPage,
  type JobDashboardPageOptions,
  processDashboardPage,
  type ProcessDashboardPageOptions,
} from "./pages.ts";
import { exampleJob, exampleProcess, exampleSnapshot } from "./client/_example_snapshot.ts";
import type { JobSnapshot, PipeSnapshot, ProcessSnapshot } from "../progress/snapshot.ts";

function options(snapshot: Partial<PipeSnapshot> = {}): DashboardPageOptions {
  return {
    snapshot: exampleSnapshot(snapshot),
    eventsUrl: "/api/v1/pipe/migration?progress&format=sse",
    jsonUrl: "/api/v1/pipe/migration?progress&format=json",
    origin: "http://127.0.0.1:8080",
  };
}

function jobOptions(snapshot: Partial<JobSnapshot> = {}): JobDashboardPageOptions {
  return {
    snapshot: exampleJob(snapshot),
    eventsUrl: "/api/v1/jobs/transcode-42?format=sse",
    jsonUrl: "/api/v1/jobs/transcode-42?format=json",
    origin: "http://127.0.0.1:8080",
  };
}

function processOptions(snapshot: Partial<ProcessSnapshot> = {}): ProcessDashboardPageOptions {
  return {
    snapshot: exampleProcess(snapshot),
    eventsUrl: "/api/v1/processes/build-1?format=sse",
    jsonUrl: "/api/v1/processes/build-1?format=json",
    origin: "http://127.0.0.1:8080",
  };
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
    assert.deepEqual(directives.get("img-src"), ["data:"]);
  }
});

Deno.test("the pages make no request to another host", () => {
  for (const page of Object.values(allPages())) {
    const markup = page.replace(
      /<noscript>[\s\S]*?<\/noscript>|<script[^>]*>[\s\S]*?<\/script>/g,
      "",
    );
    // No src/href to http(s): the only URL-bearing attribute is the data: favicon.
    assert.deepEqual(
      [...markup.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!.slice(0, 5)),
      ["data:"],
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

Deno.test("jobDashboardPage() embeds the snapshot and URLs, titled with the percent", () => {
  const page = jobDashboardPage(jobOptions());
  assert.deepEqual(JSON.parse(parts(page).data), {
    snapshot: exampleJob({}),
    eventsUrl: "/api/v1/jobs/transcode-42?format=sse",
    jsonUrl: "/api/v1/jobs/transcode-42?format=json",
  });
  assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(page, /<title>40% · transcode-42<\/title>/);
  assert.match(page, /<div id="app"><\/div>/);
});

Deno.test("jobDashboardPage() titles each state so a background tab is useful", () => {
  const titles = [
    jobOptions(),
    jobOptions({ data: { state: "queued" } }),
    jobOptions({ state: "success", result: { ok: true } }),
    jobOptions({ state: "failed", error: "boom" }),
  ].map((o) => /<title>(.*)<\/title>/.exec(jobDashboardPage(o))?.[1]);
  assert.deepEqual(titles, [
    "40% · transcode-42",
    "queued · transcode-42",
    "✓ success · transcode-42",
    "✗ failed · transcode-42",
  ]);
});

Deno.test("jobDashboardPage() escapes what it puts into HTML and its data script", () => {
  const hostile = `</script><script>alert(1)</script><!--"'&`;
  const page = jobDashboardPage(jobOptions({
    id: `a"b<c>`,
    state: "failed",
    error: hostile,
    data: { message: hostile, state: hostile, [hostile]: hostile },
  }));
  assert.equal(page.includes("alert(1)</script>"), false);
  assert.equal(page.includes(`a"b<c>`), false);
  const { data } = parts(page);
  assert.equal(data.includes("<"), false);
  assert.equal(JSON.parse(data).snapshot.error, hostile);
  assert.match(page, /<title>✗ failed · a&quot;b&lt;c&gt;<\/title>/);
  assert.equal(page.match(/<script[\s>]/g)?.length, 2);
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

Deno.test("processDashboardPage() embeds the tail and URLs, titled with the status", () => {
  const page = processDashboardPage(processOptions());
  assert.deepEqual(JSON.parse(parts(page).data), {
    snapshot: exampleProcess({}),
    eventsUrl: "/api/v1/processes/build-1?format=sse",
    jsonUrl: "/api/v1/processes/build-1?format=json",
  });
  const titles = [
    processOptions(),
    processOptions({ status: "exited", exitCode: 0 }),
    processOptions({ status: "exited", exitCode: 7 }),
    processOptions({ status: "killed" }),
  ].map((o) => /<title>(.*)<\/title>/.exec(processDashboardPage(o))?.[1]);
  assert.deepEqual(titles, [
    "● running · build-1",
    "✓ exited 0 · build-1",
    "✗ exited 7 · build-1",
    "✗ killed · build-1",
  ]);
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
