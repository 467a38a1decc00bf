/**
 * End to end in a real browser: the process dashboard (a terminal view) against a real
 * ringside server, driven through the processes HTTP API (status, output) exactly as
 * `ringside run` would. Screenshots of each state go to `test-output/`.
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
  watchFromFrontPage,
} from "./_browser.ts";
import { startServer } from "./_server.ts";

const ESC = "\u001b";

function processId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

async function status(origin: string, id: string, body: unknown): Promise<void> {
  const response = await fetch(`${origin}/api/v1/processes/${id}/status`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `status ${JSON.stringify(body)}: ${response.status} ${text}`);
}

/** Posts text as one request body on one output stream. */
async function output(
  origin: string,
  id: string,
  text: string,
  stream: "stdout" | "stderr" = "stdout",
): Promise<void> {
  const response = await fetch(`${origin}/api/v1/processes/${id}/output?stream=${stream}`, {
    method: "POST",
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: text,
  });
  const answer = await response.text();
  assert.ok(response.ok, `output: ${response.status} ${answer}`);
}

/** The text of the row holding line `seq`, once the page shows it. */
/** Starts a process under a fresh id (`PREFIX-…`) with one line of output; returns the id. */
async function runningWithLine(origin: string, prefix: string, line: string): Promise<string> {
  const id = processId(prefix);
  await status(origin, id, { status: "running" });
  await output(origin, id, line);
  return id;
}

async function row(page: Page, text: string) {
  const locator = page.locator(".term .ln", { hasText: text });
  await locator.first().waitFor();
  return locator.first();
}

/** The number of rows that are elements: the window, not the whole output. */
function rowElements(page: Page): Promise<number> {
  return page.locator(".term .ln").count();
}

function lines(page: Page, count: string) {
  return page.getByTestId("lines").filter({ hasText: new RegExp(`^${count}$`) }).waitFor();
}

/** Waits until the terminal's scroll position holds still (a wheel scroll may animate). */
async function scrollSettled(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    new Promise<boolean>((resolve) => {
      const box = document.querySelector("[data-testid=terminal]");
      const before = box?.scrollTop;
      setTimeout(() => resolve(box?.scrollTop === before), 300);
    })
  );
}

/** The seq of the first row that is fully inside the terminal's view. */
function topRow(page: Page): Promise<string> {
  return page.evaluate(() => {
    const box = document.querySelector("[data-testid=terminal]")!;
    const top = box.getBoundingClientRect().top;
    for (const element of box.querySelectorAll(".ln")) {
      if (element.getBoundingClientRect().top >= top) {
        return element.querySelector(".no")?.textContent ?? "";
      }
    }
    return "";
  });
}

Deno.test("browser: process dashboard against a real server", async (t) => {
  await using server = await startServer();
  await using browser = await launchBrowser();
  const { origin } = server;
  try {
    const big = processId("big");
    const steps: [string, (browser: TestBrowser, origin: string, id: string) => Promise<void>][] = [
      [
        "follows a running command's lines with colours, then shows its exit code",
        followsWithColours,
      ],
      ["10,000 lines stay windowed; scrolling up holds the view; jump to end", tenThousandLines],
      [
        "a latecomer after the end gets the server's history and the exit code at once",
        latecomer,
      ],
    ];
    for (const [name, step] of steps) await t.step(name, () => step(browser, origin, big));
    await t.step("the front page's process box opens the dashboard", async () => {
      const id = processId("front");
      await status(origin, id, { status: "running" });
      const watched = await browser.newPage(origin);
      const { page } = watched;
      await watchFromFrontPage(watched, origin, {
        kind: "process",
        invalid: "../etc",
        reason: /'\.' and '\.\.' segments/,
        id,
        dashboard: `${origin}/api/v1/processes/${id}`,
      });
      await page.locator('main.proc[data-connection="live"]').waitFor();
      await output(origin, id, "hello from the front page\n");
      await row(page, "hello from the front page");
      await status(origin, id, { status: "exited", exitCode: 0 });
      await page.locator('main.proc[data-status="exited"]').waitFor();
      assertClean(watched, 2);
      await page.close();
    });
  } finally {
    await browser.close();
  }
});

async function followsWithColours(browser: TestBrowser, origin: string) {
  const id = processId("build");
  await status(origin, id, { status: "running" });
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/api/v1/processes/${id}`);
  await expectTitle(page, `● running · ${id}`);
  assert.equal(await page.getByTestId("status").innerText(), "● running");
  await page.locator('main.proc[data-connection="live"]').waitFor();
  assert.equal(await page.locator(".term .empty").innerText(), "No output yet.");

  await output(
    origin,
    id,
    [
      `${ESC}[1mBuilding${ESC}[0m ringside`,
      `${ESC}[32m✓${ESC}[0m compiled 42 files`,
      `${ESC}[38;5;208morange${ESC}[0m and ${ESC}[38;2;255;0;128mpink${ESC}[0m and ${ESC}[4munderlined${ESC}[0m`,
      `<img src=x onerror="document.title='pwned'">${ESC}]0;a title${ESC}\\ ${ESC}[2Kplain`,
      "",
    ].join("\n"),
  );
  await output(origin, id, `${ESC}[33mwarning:${ESC}[0m unused variable 'x'\n`, "stderr");
  const stderr = await row(page, "warning: unused variable");
  assert.equal(await stderr.getAttribute("data-stream"), "stderr");
  const built = await row(page, "Building ringside");
  assert.equal(await built.getAttribute("data-stream"), "stdout");

  // Colours as the browser computes them: the theme's green, the 256-colour cube, 24-bit.
  async function colour(text: string, property: "color" | "fontWeight" | "textDecorationLine") {
    const span = page.locator(".term .ln .tx span", { hasText: new RegExp(`^${text}$`) });
    return await span.evaluate((e, p) => getComputedStyle(e)[p], property);
  }
  assert.equal(await colour("Building", "fontWeight"), "700");
  assert.equal(await colour("✓", "color"), "rgb(140, 194, 101)");
  assert.equal(await colour("orange", "color"), "rgb(255, 135, 0)");
  assert.equal(await colour("pink", "color"), "rgb(255, 0, 128)");
  assert.equal(await colour("underlined", "textDecorationLine"), "underline");
  assert.equal(await colour("warning:", "color"), "rgb(216, 176, 90)");
  // Markup in a line is text; other escape sequences are gone.
  const hostile = await row(page, "<img src=x");
  assert.equal(
    await hostile.locator(".tx").innerText(),
    `<img src=x onerror="document.title='pwned'"> plain`,
  );
  assert.equal(await page.locator(".term img").count(), 0);
  await watched.screenshot("process-1-colours");

  // A body that trickles: each line shows before the next is written.
  const encoder = new TextEncoder();
  let writer!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (writer = c) });
  const trickle = fetch(`${origin}/api/v1/processes/${id}/output?stream=stdout`, {
    method: "POST",
    headers: { "content-type": "text/plain; charset=utf-8" },
    body,
  });
  for (const step of ["step 1 of 3", "step 2 of 3", "step 3 of 3"]) {
    writer.enqueue(encoder.encode(`${ESC}[36m${step}${ESC}[0m\n`));
    await row(page, step);
  }
  writer.close();
  const trickled = await trickle;
  await trickled.body?.cancel();
  assert.ok(trickled.ok, `trickled output: ${trickled.status}`);
  assert.equal(await page.getByTestId("terminal").getAttribute("data-following"), "true");
  await expectTitle(page, `● running · ${id}`);
  await watched.screenshot("process-2-running");

  await status(origin, id, { status: "exited", exitCode: 3 });
  await page.locator('main.proc[data-status="exited"]').waitFor();
  assert.equal(await page.getByTestId("status").innerText(), "✗ exited 3");
  await expectTitle(page, `✗ exited 3 · ${id}`);
  assert.equal(await page.getByTestId("connection").innerText(), "final");
  assert.equal(await page.getByTestId("lines").innerText(), "8");
  await watched.screenshot("process-3-exited");
  await page.emulateMedia({ colorScheme: "dark" });
  await watched.screenshot("process-3-exited-dark");
  assertClean(watched);
  await page.close();
}

async function tenThousandLines(browser: TestBrowser, origin: string, id: string) {
  await status(origin, id, { status: "running" });
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/api/v1/processes/${id}`);
  await page.locator('main.proc[data-connection="live"]').waitFor();

  let text = "";
  for (let i = 1; i <= 10_000; i++) text += `line ${i} ${ESC}[3${i % 8}mcolour ${i % 8}${ESC}[0m\n`;
  await output(origin, id, text);
  await lines(page, "10,000");
  await row(page, "line 10000 colour 0");
  const drawn = await rowElements(page);
  assert.ok(drawn > 0 && drawn <= 200, `${drawn} row elements for 10,000 lines`);
  assert.equal(await page.getByTestId("terminal").getAttribute("data-following"), "true");
  assert.equal(
    await page.getByTestId("terminal").evaluate((e) => e.scrollHeight),
    10_000 * 18,
    "the spacer gives every line its 18 px",
  );
  await watched.screenshot("process-4-10000-lines");

  // Scroll up: the view stops following and offers the way back.
  await page.getByTestId("terminal").hover();
  await page.mouse.wheel(0, -5000);
  await page.getByTestId("jump").waitFor();
  await scrollSettled(page);
  assert.equal(await page.getByTestId("terminal").getAttribute("data-following"), "false");
  const held = await topRow(page);
  assert.ok(Number(held) > 1 && Number(held) < 10_000, `top row ${held}`);
  let more = "";
  for (let i = 10_001; i <= 10_100; i++) more += `line ${i}\n`;
  await output(origin, id, more);
  await lines(page, "10,100");
  await scrollSettled(page);
  assert.equal(await topRow(page), held, "new lines do not move a view that scrolled up");
  assert.ok(await rowElements(page) <= 200);
  await watched.screenshot("process-5-scrolled-up");

  await page.getByTestId("jump").click();
  await page.locator('[data-testid=terminal][data-following="true"]').waitFor();
  await row(page, "line 10100");
  assert.equal(await page.getByTestId("jump").count(), 0);
  await status(origin, id, { status: "exited", exitCode: 0 });
  await page.locator('main.proc[data-status="exited"]').waitFor();
  assert.equal(await page.getByTestId("status").innerText(), "✓ exited 0");
  await expectTitle(page, `✓ exited 0 · ${id}`);
  await watched.screenshot("process-6-exited-0");
  assertClean(watched);
  await page.close();
}

async function latecomer(browser: TestBrowser, origin: string, id: string) {
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/api/v1/processes/${id}`);
  // At once, from the embedded snapshot: the exit code and the last 100 lines.
  assert.equal(await page.getByTestId("status").innerText(), "✓ exited 0");
  await expectTitle(page, `✓ exited 0 · ${id}`);
  await row(page, "line 10100");
  // Then the server's last 1,000 lines (--history-lines) fill in above them.
  await page.getByTestId("earlier").filter({ hasText: /^9,100 earlier lines are not/ }).waitFor();
  assert.equal(await page.getByTestId("lines").innerText(), "10,100");
  assert.ok(await rowElements(page) <= 200);
  await watched.screenshot("process-7-latecomer");
  assertClean(watched);
  await page.close();
}

Deno.test("browser: a process page keeps its lines and says reconnecting… when the server goes away", async () => {
  const server = await startServer();
  await using browser = await launchBrowser();
  const { origin } = server;
  const id = await runningWithLine(origin, "gone", "before the server went away\n");
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/api/v1/processes/${id}`);
  await page.locator('main.proc[data-connection="live"]').waitFor();
  await row(page, "before the server went away");
  await server.stop();
  await page.locator('main.proc[data-connection="reconnecting"]').waitFor();
  assert.equal(await page.getByTestId("connection").innerText(), "reconnecting…");
  await row(page, "before the server went away");
  assert.equal(await page.getByTestId("status").innerText(), "● running");
  await watched.screenshot("process-8-reconnecting");
  // The browser logs the cut stream and the refused reconnections; nothing else may fail.
  assert.deepEqual(
    watched.errors.filter((e) =>
      !/net::ERR_(CONNECTION_REFUSED|INCOMPLETE_CHUNKED_ENCODING|EMPTY_RESPONSE)|Failed to load resource/
        .test(e)
    ),
    [],
  );
  assert.equal(watched.navigations(), 1);
  await browser.close();
});

Deno.test("browser: a process page counts its watchers from the stream, at once", async () => {
  await using server = await startServer();
  await using browser = await launchBrowser();
  const { origin } = server;
  const id = await runningWithLine(origin, "watched", "one line\n");
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await answerJsonPollsEmpty(page);
  await assertWatchersFollowStream(page, `${origin}/api/v1/processes/${id}`);
  await row(page, "one line");
  await lines(page, "1");
  assertClean(watched);
  await status(origin, id, { status: "exited", exitCode: 0 });
  await page.close();
});
