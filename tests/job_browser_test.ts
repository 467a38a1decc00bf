/**
 * End to end in a real browser: the job dashboard against a real ringside server, driven
 * through the jobs HTTP API (start, publish, finish) exactly as a publisher would. Screenshots
 * of each state go to `test-output/`.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (`apt-get install -y chromium`).
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  answerJsonPollsEmpty,
  assertClean,
  assertWatchersFollowStream,
  expectTitle,
  launchBrowser,
  type TestBrowser,
  valueNow,
  watchFromFrontPage,
} from "./_browser.ts";
import { startServer } from "./_server.ts";

/** A fresh job id, so steps never meet each other's jobs. */
function jobId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** POSTs JSON (or nothing) and returns the status and the parsed answer. */
async function post(
  url: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // a one-line error: keep it in the assertion message
    json = { text };
  }
  return { status: response.status, json };
}

async function start(origin: string, id: string, first?: unknown) {
  const started = await post(`${origin}/api/v1/jobs/${id}`, first);
  assert.equal(started.status, 201, JSON.stringify(started.json));
  return started.json;
}

async function publish(origin: string, id: string, data: unknown): Promise<void> {
  const published = await post(`${origin}/api/v1/jobs/${id}/progress`, data);
  assert.ok(published.status >= 200 && published.status < 300, JSON.stringify(published));
}

async function finish(origin: string, id: string, body: unknown): Promise<void> {
  const finished = await post(`${origin}/api/v1/jobs/${id}/finish`, body);
  assert.ok(finished.status >= 200 && finished.status < 300, JSON.stringify(finished));
}

function jobState(page: Page, state: string) {
  return page.locator(`main.job[data-state="${state}"]`).waitFor();
}

Deno.test("browser: job dashboard against a real server", async (t) => {
  await using server = await startServer();
  await using browser = await launchBrowser();
  const { origin } = server;
  try {
    const steps: [string, (browser: TestBrowser, origin: string) => Promise<void>][] = [
      [
        "running without a percent, then the percent moves, then success with the result",
        jobRunsToSuccess,
      ],
      ["a failed job shows the reason and keeps its last percent", jobFails],
      ["a latecomer after the end sees the outcome at once", latecomerSeesOutcome],
      ["the watch link shows the job without its name", watchLinkHidesName],
    ];
    for (const [name, step] of steps) await t.step(name, () => step(browser, origin));
    await t.step("the front page's job box opens the dashboard", async () => {
      const id = jobId("front/job");
      await start(origin, id, { message: "opened from the front page" });
      const watched = await browser.newPage(origin);
      const { page } = watched;
      await watchFromFrontPage(watched, origin, {
        kind: "job",
        invalid: "not a name!",
        reason: /^Invalid name 'not a name!'/,
        id,
        dashboard: `${origin}/api/v1/jobs/${id}`,
      });
      await jobState(page, "running");
      assert.equal(await page.getByTestId("message").innerText(), "opened from the front page");
      await finish(origin, id, { ok: true });
      await jobState(page, "success");
      assertClean(watched, 2);
      await page.close();
    });
  } finally {
    await browser.close();
  }
});

Deno.test("browser: a job page outlives the server's stream timeout", async () => {
  await using server = await startServer({ args: ["--stream-timeout", "1s"] });
  await using browser = await launchBrowser();
  const { origin } = server;
  const id = jobId("long");
  await start(origin, id, { progress: 10 });
  const watched = await browser.newPage(origin);
  const { page } = watched;
  let streams = 0;
  page.on("request", (request) => {
    if (request.url().includes(id) && request.headers().accept === "text/event-stream") streams++;
  });
  await page.goto(`${origin}/api/v1/jobs/${id}`);
  await page.locator('main.job[data-connection="live"]').waitFor();
  // Each stream ends with `timeout` after 1 s; the page opens the next one at once.
  while (streams < 3) await page.waitForRequest((r) => r.url().includes(id));
  await publish(origin, id, { progress: 70, message: "still going" });
  await page.waitForFunction(() => document.title.startsWith("70% "));
  assert.equal(await page.getByTestId("message").innerText(), "still going");
  await finish(origin, id, { ok: true });
  await jobState(page, "success");
  await expectTitle(page, `✓ success · ${id}`);
  await watched.screenshot("job-6-after-stream-timeouts");
  assertClean(watched);
  await browser.close();
});

async function jobRunsToSuccess(browser: TestBrowser, origin: string) {
  const id = jobId("transcode");
  const started = await start(origin, id, { state: "queued", message: "waiting for a worker" });
  assert.equal(started.joined, false);
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/api/v1/jobs/${id}`);
  // The embedded snapshot is painted before any event.
  await expectTitle(page, `queued · ${id}`);
  assert.equal(await page.getByTestId("state").innerText(), "● queued");
  assert.equal(await page.getByTestId("message").innerText(), "waiting for a worker");
  assert.equal(await valueNow(page), null, "no percent: an indeterminate bar");
  assert.match(await page.getByRole("progressbar").getAttribute("class") ?? "", /indeterminate/);
  assert.equal(await page.getByTestId("eta").innerText(), "–");
  assert.equal(await page.getByTestId("big").count(), 0, "no big number without a percent");
  // The curl lines follow the URLs the server gave the page.
  assert.match(
    await page.getByTestId("cmd-events").innerText(),
    /^curl -N '?http:\/\/127\.0\.0\.1:/,
  );
  assert.ok((await page.getByTestId("cmd-events").innerText()).includes(`/api/v1/jobs/${id}`));
  await page.locator('main.job[data-connection="live"]').waitFor();
  await watched.screenshot("job-1-queued");

  await publish(origin, id, {
    state: "transcribing",
    progress: 20,
    estimated_time: 80,
    message: "chunk 2/10",
  });
  await page.waitForFunction(() => document.title.startsWith("20% "));
  await expectTitle(page, `20% · ${id}`);
  assert.equal(await valueNow(page), 20);
  assert.equal(await page.getByTestId("big").innerText(), "20%");
  assert.equal(await page.getByTestId("state").innerText(), "● transcribing");
  assert.equal(await page.getByTestId("message").innerText(), "chunk 2/10");
  assert.match(await page.getByTestId("eta").innerText(), /^1 min \d\d s$/);
  assert.match(await page.getByTestId("elapsed").innerText(), /^\d+ s$/);
  await watched.screenshot("job-2-running-20");

  await publish(origin, id, {
    state: "transcribing",
    progress: 65.5,
    estimated_time: 30,
    message: "chunk 7/10",
  });
  await page.waitForFunction(() =>
    Number(document.querySelector("[role=progressbar]")?.getAttribute("aria-valuenow")) > 20
  );
  assert.equal(await valueNow(page), 65.5);
  await expectTitle(page, `65% · ${id}`);
  assert.equal(await page.getByTestId("big").innerText(), "65.5%");
  // The page counts itself: its stream's greeting says so.
  await page.getByTestId("spectators").filter({ hasText: /^1$/ }).waitFor();
  await watched.screenshot("job-3-running-65");

  await finish(origin, id, { ok: true, output: "s3://bucket/talk.mp4", frames: 1200 });
  await jobState(page, "success");
  await expectTitle(page, `✓ success · ${id}`);
  assert.equal(await page.getByTestId("state").innerText(), "✓ Success");
  assert.equal(await valueNow(page), 100);
  assert.equal(await page.getByTestId("connection").innerText(), "final");
  const result = await page.getByTestId("result").innerText();
  assert.match(result, /output\s+s3:\/\/bucket\/talk\.mp4/);
  assert.match(result, /frames\s+1200/);
  assert.doesNotMatch(result, /\bok\b/, "ok is said by the badge");
  await watched.screenshot("job-4-success");
  await page.emulateMedia({ colorScheme: "dark" });
  await watched.screenshot("job-4-success-dark");
  assertClean(watched);
  await page.close();
}

async function jobFails(browser: TestBrowser, origin: string) {
  const id = jobId("import");
  await start(origin, id);
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/api/v1/jobs/${id}`);
  await expectTitle(page, `Running · ${id}`);
  await page.locator('main.job[data-connection="live"]').waitFor();
  await publish(origin, id, { progress: 35, message: "row 35,000 of 100,000" });
  await page.waitForFunction(() => document.title.startsWith("35% "));
  await finish(origin, id, { ok: false, error: "Row 35,042: duplicate key 'abc'" });
  await jobState(page, "failed");
  await expectTitle(page, `✗ failed · ${id}`);
  assert.equal(await page.getByTestId("state").innerText(), "✗ Failed");
  assert.equal(
    await page.getByRole("alert").innerText(),
    "Failed: Row 35,042: duplicate key 'abc'",
  );
  assert.equal(await valueNow(page), 35, "the bar stops where the job stopped");
  assert.match(await page.getByRole("progressbar").getAttribute("class") ?? "", /failed/);
  assert.equal(await page.getByTestId("result").count(), 0);
  assert.equal(await page.getByTestId("connection").innerText(), "final");
  await watched.screenshot("job-5-failed");
  assertClean(watched);
  await page.close();
}

async function latecomerSeesOutcome(browser: TestBrowser, origin: string) {
  const id = jobId("done");
  await start(origin, id, { progress: 50 });
  await finish(origin, id, { ok: true, rows: 42 });
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/api/v1/jobs/${id}`);
  const shown = await page.evaluate(() => ({
    state: document.querySelector("main.job")?.getAttribute("data-state"),
    result: document.querySelector("[data-testid=result]")?.textContent,
    value: document.querySelector("[role=progressbar]")?.getAttribute("aria-valuenow"),
    title: document.title,
  }));
  assert.equal(shown.state, "success");
  assert.match(shown.result ?? "", /rows\s*42/);
  assert.equal(shown.value, "100");
  assert.equal(shown.title, `✓ success · ${id}`);
  assertClean(watched);
  await page.close();
}

async function watchLinkHidesName(browser: TestBrowser, origin: string) {
  const id = jobId("secret-name");
  const started = await start(origin, id, { progress: 5, message: "through a watch link" });
  assert.equal(typeof started.watch, "string", JSON.stringify(started));
  const link = new URL(started.watch as string, origin).href;
  const watchId = new URL(link).pathname.split("/").pop()!;
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(link);
  await page.locator('main.job[data-connection="live"]').waitFor();
  await expectTitle(page, `5% · ${watchId}`);
  await publish(origin, id, { progress: 55, message: "still through the link" });
  await page.waitForFunction(() => document.title.startsWith("55% "));
  await finish(origin, id, { ok: true });
  await jobState(page, "success");
  assert.equal((await page.content()).includes(id), false, "the page never shows the name");
  await watched.screenshot("job-7-watch-link");
  assertClean(watched);
  await page.close();
}

Deno.test("browser: a --private page opened with ?token= goes live and never shows the token", async () => {
  const token = "page-token-9d4e";
  await using server = await startServer({ args: ["--token", token, "--private"] });
  await using browser = await launchBrowser();
  const { origin } = server;
  const id = jobId("private");
  const started = await fetch(`${origin}/api/v1/jobs/${id}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: '{"progress":5}',
  });
  assert.equal(started.status, 201);
  await started.body?.cancel();
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/api/v1/jobs/${id}?token=${token}`);
  await page.locator('main.job[data-connection="live"]').waitFor();
  const published = await fetch(`${origin}/api/v1/jobs/${id}/progress`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: '{"progress":60,"message":"seen live"}',
  });
  assert.equal(published.status, 204);
  await page.waitForFunction(() => document.title.startsWith("60% "));
  assert.equal(await page.getByTestId("message").innerText(), "seen live");
  assert.ok(!(await page.locator("body").innerText()).includes(token), "the token is shown");
  assert.ok(!(await page.content()).includes(token), "the token is in the page");
  assertClean(watched);
  await browser.close();
});

Deno.test("browser: a job page counts its watchers from the stream, at once", async () => {
  await using server = await startServer();
  await using browser = await launchBrowser();
  const { origin } = server;
  const id = jobId("watched");
  await start(origin, id, { progress: 10 });
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await answerJsonPollsEmpty(page);
  await assertWatchersFollowStream(page, `${origin}/api/v1/jobs/${id}`);
  assert.equal(await page.getByTestId("big").innerText(), "10%", "no publish came");
  assertClean(watched);
  await finish(origin, id, { ok: true });
  await jobState(page, "success");
  await page.close();
});
