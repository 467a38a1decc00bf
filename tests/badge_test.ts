// End to end for badges (`?format=svg`, `/w/ID.svg`) and embeds (`?embed`) on a real server
// (RINGSIDE_TEST_RUNTIME): what each answers, that a watch link's never names the topic, and
// that `--private` guards them like every other spectator URL.
import assert from "node:assert/strict";
import { expectedWatchId, startServer, testRuntime } from "./_server.ts";
import { postOk } from "./_post.ts";

const SECRET = "watch-secret-b4d6";
const TOKEN = "tok-badge-71c2";

/** GETs a badge and returns its status, headers and text. */
async function badge(url: string, headers: HeadersInit = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The badge's accessible text: `LABEL: VALUE`. */
function said(svg: string): string {
  return /<title>([^<]*)<\/title>/.exec(svg)?.[1] ?? svg;
}

Deno.test(`badges on every kind's spectator URL and watch link (${testRuntime})`, async (t) => {
  await using server = await startServer({ args: ["--secret", SECRET] });
  const { origin } = server;

  await t.step("a job: running, its percent, then done; headers; ETag and 304", async () => {
    const url = `${origin}/api/v1/jobs/ci/build-7?format=svg`;
    await postOk(`${origin}/api/v1/jobs/ci/build-7`);
    const running = await badge(url);
    assert.equal(running.status, 200);
    assert.equal(running.headers.get("content-type"), "image/svg+xml; charset=utf-8");
    assert.equal(running.headers.get("cache-control"), "no-cache");
    assert.equal(
      running.headers.get("content-security-policy"),
      "default-src 'none'; style-src 'unsafe-inline'",
    );
    assert.equal(said(running.text), "job: running");
    await postOk(`${origin}/api/v1/jobs/ci/build-7/progress`, { progress: 42.7 });
    const moved = await badge(url);
    assert.equal(said(moved.text), "job: 42%");
    const etag = moved.headers.get("etag")!;
    const same = await badge(url, { "if-none-match": etag });
    assert.equal(same.status, 304);
    assert.equal(same.text, "");
    await postOk(`${origin}/api/v1/jobs/ci/build-7/finish`, { ok: true });
    const done = await badge(url, { "if-none-match": etag });
    assert.equal(done.status, 200);
    assert.equal(said(done.text), "job: ✓ done");
    assert.equal(said((await badge(`${url}&label=build`)).text), "build: ✓ done");
  });

  await t.step("a pipe (waiting before it exists, long form and short) and a process", async () => {
    assert.equal(
      said((await badge(`${origin}/api/v1/pipe/db?progress&format=svg`)).text),
      "pipe: waiting",
    );
    assert.equal(said((await badge(`${origin}/db?progress&format=svg`)).text), "pipe: waiting");
    await postOk(`${origin}/api/v1/processes/nightly/status`, { status: "exited", exitCode: 1 });
    const process = await badge(`${origin}/api/v1/processes/nightly?format=svg`);
    assert.equal(said(process.text), "process: ✗ exit 1");
    // Spectating only: a badge is no receiver and takes no spectator slot.
    const stats = await (await fetch(`${origin}/api/v1/stats`)).json();
    assert.equal(stats.spectators, 0);
  });

  await t.step("/w/ID.svg: the same badge, never the name, whatever the label", async () => {
    const id = await expectedWatchId(SECRET, "job", "ci/build-7");
    const watched = await badge(`${origin}/w/${id}.svg`);
    assert.equal(watched.status, 200);
    assert.equal(said(watched.text), "job: ✓ done");
    assert.equal(watched.text.includes("build-7"), false);
    const hostile = await badge(`${origin}/w/${id}.svg?label=${encodeURIComponent("<a href=x>")}`);
    assert.equal(said(hostile.text), "&lt;a href=x&gt;: ✓ done");
    assert.equal(hostile.text.includes("<a "), false);
    assert.equal((await badge(`${origin}/w/${"A".repeat(22)}.svg`)).status, 404);
    assert.equal((await badge(`${origin}/w/${id}.png`)).status, 404);
  });
});

Deno.test(`embeds: the card alone, framable; full pages refuse framing (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--secret", SECRET] });
  const { origin } = server;
  await postOk(`${origin}/api/v1/jobs/embedded`, { progress: 3 });
  const id = await expectedWatchId(SECRET, "job", "embedded");
  const html = { accept: "text/html" };
  for (const path of ["/api/v1/jobs/embedded", `/w/${id}`]) {
    const full = await fetch(`${origin}${path}`, { headers: html });
    assert.equal(full.headers.get("content-security-policy"), "frame-ancestors 'none'");
    assert.equal(full.headers.get("x-frame-options"), "DENY");
    assert.doesNotMatch(await full.text(), /<html lang="en" class="embed">/);
    // `?embed` is a page whatever the Accept header (an <iframe>'s, curl's).
    const embed = await fetch(`${origin}${path}?embed`);
    assert.equal(embed.headers.get("content-type"), "text/html; charset=UTF-8");
    assert.equal(embed.headers.get("content-security-policy"), "frame-ancestors *");
    assert.equal(embed.headers.get("x-frame-options"), null);
    const page = await embed.text();
    assert.match(page, /<html lang="en" class="embed">/);
    // The page's own streams are the plain ones.
    assert.match(page, new RegExp(`"eventsUrl":"${path}\\?format=sse"`));
  }
  const pipe = await fetch(`${origin}/api/v1/pipe/p?progress&embed`);
  assert.match(await pipe.text(), /class="embed"/);
  const front = await fetch(`${origin}/`, { headers: html });
  assert.equal(front.headers.get("x-frame-options"), "DENY");
  await front.body?.cancel();
  // An explicit format still wins.
  const json = await fetch(`${origin}/api/v1/jobs/embedded?embed&format=json`);
  assert.equal((await json.json()).data.progress, 3);
});

Deno.test(`--private: badges and embeds need a token, except through a watch link (${testRuntime})`, async () => {
  await using server = await startServer({
    args: ["--secret", SECRET, "--token", TOKEN, "--private"],
  });
  const { origin } = server;
  await postOk(`${origin}/api/v1/jobs/secret-job`, { progress: 9 }, {
    authorization: `Bearer ${TOKEN}`,
  });
  const id = await expectedWatchId(SECRET, "job", "secret-job");
  for (const path of ["/api/v1/jobs/secret-job?format=svg", "/api/v1/jobs/secret-job?embed"]) {
    const refused = await fetch(`${origin}${path}`);
    assert.equal(refused.status, 401, path);
    await refused.body?.cancel();
    const allowed = await fetch(`${origin}${path}&token=${TOKEN}`);
    assert.equal(allowed.status, 200, path);
    await allowed.body?.cancel();
  }
  for (const path of [`/w/${id}.svg`, `/w/${id}?embed`]) {
    const watched = await fetch(`${origin}${path}`);
    assert.equal(watched.status, 200, path);
    assert.equal((await watched.text()).includes("secret-job"), false, path);
  }
  const pipe = await fetch(`${origin}/some-pipe?progress&format=svg`);
  assert.equal(pipe.status, 401);
  await pipe.body?.cancel();
});
