/**
 * End to end in a real browser: the pipe dashboard and the front page against a real ringside
 * server, with real curl transfers. Screenshots of each state go to `test-output/`.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (`apt-get install -y chromium`) and curl.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  assertClean,
  assertWatchersFollowStream,
  expectTitle,
  launchBrowser,
  type TestBrowser,
  valueNow,
} from "./_browser.ts";
import { startServer } from "./_server.ts";

/** A curl process started by a test. */
interface Curl {
  /** Resolves when curl exits, with its code and what it printed on stderr. */
  readonly done: Promise<{ code: number; stderr: string }>;
  kill(): void;
}

function curl(...args: string[]): Curl {
  const child = new Deno.Command("curl", {
    args: ["--silent", "--show-error", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const done = (async () => {
    const stderr = await new Response(child.stderr).text();
    const { code } = await child.status;
    return { code, stderr };
  })();
  return {
    done,
    kill: () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    },
  };
}

/** Writes `size` random bytes to a new file in `dir` and returns its path. */
async function randomFile(dir: string, name: string, size: number): Promise<string> {
  const path = `${dir}/${name}`;
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65536)));
  }
  await Deno.writeFile(path, bytes);
  return path;
}

async function assertSameFile(actual: string, expected: string): Promise<void> {
  const [a, b] = await Promise.all([Deno.readFile(actual), Deno.readFile(expected)]);
  assert.equal(
    a.byteLength,
    b.byteLength,
    `${actual} has ${a.byteLength} bytes, not ${b.byteLength}`,
  );
  assert.ok(a.every((byte, i) => byte === b[i]), `${actual} differs from ${expected}`);
}

function dashboardState(page: Page, state: string) {
  return page.locator(`main.dash[data-state="${state}"]`).waitFor();
}

Deno.test("browser: dashboard and front page against a real server", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "ringside-browser-" });
  await using server = await startServer();
  await using browser = await launchBrowser();
  const { origin } = server;
  try {
    const steps: [string, (browser: TestBrowser, origin: string, dir: string) => Promise<void>][] =
      [
        [
          "dashboard: waiting, then a moving percentage and MB/s, then done at 100 %",
          dashboardFollowsTransfer,
        ],
        [
          "dashboard: a latecomer after the end sees the final line at once",
          latecomerSeesFinalLine,
        ],
        [
          "dashboard: unknown size streams with an indeterminate bar, then fails",
          dashboardShowsFailure,
        ],
        [
          "front page: sends a chosen file to a curl receiver byte-identically",
          frontPageSendsFile,
        ],
        ["front page: sends a dropped file and typed text", frontPageSendsDropAndText],
        ["front page: receives from a curl sender and saves the file", frontPageReceives],
      ];
    for (const [name, step] of steps) await t.step(name, () => step(browser, origin, dir));
    await t.step("dashboard: its web app manifest loads under the page's CSP", async () => {
      const watched = await browser.newPage(origin);
      const { page } = watched;
      await page.goto(`${origin}/api/v1/pipe/manifest-${crypto.randomUUID()}?progress`);
      await page.locator("main.dash").waitFor();
      const cdp = await page.context().newCDPSession(page);
      const manifest = await cdp.send("Page.getAppManifest") as {
        url: string;
        errors: { message: string }[];
        data?: string;
      };
      assert.equal(manifest.url, `${origin}/static/manifest.webmanifest`);
      assert.deepEqual(manifest.errors, []);
      assert.equal(JSON.parse(manifest.data ?? "{}").display, "standalone");
      const icon = await page.evaluate(async () => {
        const res = await fetch("/favicon.ico");
        return `${res.status} ${res.headers.get("content-type")}`;
      });
      assert.equal(icon, "200 image/svg+xml");
      assertClean(watched);
      await page.close();
    });
    await t.step("dashboard: says reconnecting… when the server goes away", async () => {
      const watched = await browser.newPage(origin);
      const { page } = watched;
      await page.goto(`${origin}/api/v1/pipe/reconnect-${crypto.randomUUID()}?progress`);
      await page.locator('main.dash[data-connection="live"]').waitFor();
      await server.stop();
      await page.locator('main.dash[data-connection="reconnecting"]').waitFor();
      assert.equal(await page.getByTestId("connection").innerText(), "reconnecting…");
      await watched.screenshot("dashboard-6-reconnecting");
      // The browser logs the cut stream and the refused reconnections; nothing else may fail.
      assert.deepEqual(
        watched.errors.filter((e) =>
          !/net::ERR_(CONNECTION_REFUSED|INCOMPLETE_CHUNKED_ENCODING)/.test(e)
        ),
        [],
      );
      assert.equal(watched.navigations(), 1);
      await page.close();
    });
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
});

async function dashboardFollowsTransfer(browser: TestBrowser, origin: string, dir: string) {
  const name = `migration-${crypto.randomUUID().slice(0, 8)}`;
  const url = `${origin}/api/v1/pipe/${name}`;
  const size = 3_000_000;
  const source = await randomFile(dir, "dashboard.bin", size);
  const watched = await browser.newPage(origin);
  const { page } = watched;

  await page.addInitScript(() => {
    addEventListener("DOMContentLoaded", () => {
      const main = document.querySelector("main.dash");
      Object.assign(globalThis, { ringsideFirstState: main?.getAttribute("data-state") ?? null });
    });
  });
  await page.goto(`${url}?progress`);
  // The inline script renders the embedded snapshot while the document is parsed, before the
  // first paint and before the EventSource (opened in an effect) can deliver anything.
  const firstState = await page.evaluate(() =>
    (globalThis as { ringsideFirstState?: string }).ringsideFirstState
  );
  assert.equal(firstState, "idle");
  await page.evaluate(() => Object.assign(globalThis, { ringsideNoReload: true }));
  assert.equal(await valueNow(page), 0);
  assert.equal(await page.getByTestId("big").innerText(), "0%");
  await expectTitle(page, `idle · ${name}`);
  assert.equal(
    await page.getByTestId("cmd-events").innerText(),
    `curl -N '${url}?progress&format=sse'`,
  );
  assert.equal(
    await page.getByTestId("cmd-json").innerText(),
    `curl -s '${url}?progress&format=json'`,
  );
  await watched.screenshot("dashboard-1-idle");

  const received = `${dir}/dashboard.received`;
  const receiver = curl("--fail", "-o", received, url);
  await dashboardState(page, "waiting");
  assert.equal(await page.getByTestId("big").innerText(), "0%");
  assert.equal(await page.getByTestId("state").innerText(), "◌ Waiting");
  assert.equal(await page.getByTestId("receivers").innerText(), "1 of 1");
  await expectTitle(page, `waiting · ${name}`);
  await watched.screenshot("dashboard-2-waiting");

  // 3 MB at 1 MiB/s: about three seconds of streaming, a progress event every 250 ms.
  const sender = curl("--fail", "--limit-rate", "1M", "-T", source, url);
  await dashboardState(page, "streaming");
  await page.waitForFunction(() => {
    const value = Number(
      document.querySelector("[role=progressbar]")?.getAttribute("aria-valuenow"),
    );
    return value > 0 && value < 100;
  });
  const first = await valueNow(page);
  assert.ok(first !== null);
  await page.waitForFunction((before) => {
    const main = document.querySelector("main.dash");
    const value = Number(
      document.querySelector("[role=progressbar]")?.getAttribute("aria-valuenow"),
    );
    return main?.getAttribute("data-state") === "streaming" && value > before && value < 100;
  }, first);
  const second = await valueNow(page);
  assert.ok(second !== null && second > first && second < 100, `${first} then ${second}`);
  // The smoothed rate starts low; it reads in MB/s once it passes 0.1 MB/s.
  await page.getByTestId("speed").filter({ hasText: /^\d+(\.\d+)? MB\/s$/ }).waitFor();
  assert.match(await page.getByTestId("big").innerText(), /^\d+(\.\d)?%$/);
  assert.match(await page.getByTestId("bytes").innerText(), /^[\d.]+ [kM]?B of 3\.00 MB$/);
  assert.match(await page.getByTestId("eta").innerText(), /^\d+ s$/);
  await expectTitle(page, new RegExp(`^\\d{1,2}% · ${name}$`));
  assert.notEqual(await page.locator(".spark-line").getAttribute("d"), "");
  await watched.screenshot("dashboard-3-streaming");

  await dashboardState(page, "complete");
  assert.equal(await valueNow(page), 100);
  assert.equal(await page.getByTestId("big").innerText(), "100%");
  assert.equal(await page.getByTestId("state").innerText(), "✓ Done");
  assert.equal(await page.getByTestId("bytes").innerText(), "3.00 MB of 3.00 MB");
  assert.match(
    await page.getByTestId("final").innerText(),
    /^Done: 3\.00 MB in \d+ s, average [\d.]+ MB\/s$/,
  );
  await expectTitle(page, `✓ 100% · ${name}`);
  assert.equal(await page.getByTestId("connection").innerText(), "final");
  await watched.screenshot("dashboard-4-done");
  await page.emulateMedia({ colorScheme: "dark" });
  await watched.screenshot("dashboard-4-done-dark");
  await page.emulateMedia({ colorScheme: "light" });

  // The copy-able line lands on the clipboard as shown.
  await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  await page.getByRole("button", { name: "Copy: Live events (SSE)" }).click();
  await page.getByRole("button", { name: "Copy: Live events (SSE)" }).getByText("Copied").waitFor();
  assert.equal(
    await page.evaluate(() => navigator.clipboard.readText()),
    `curl -N '${url}?progress&format=sse'`,
  );

  assert.deepEqual(await sender.done, { code: 0, stderr: "" });
  assert.deepEqual(await receiver.done, { code: 0, stderr: "" });
  await assertSameFile(received, source);
  assert.equal(
    await page.evaluate(() => "ringsideNoReload" in globalThis),
    true,
    "the page reloaded",
  );
  assertClean(watched);
  await page.close();
}

async function latecomerSeesFinalLine(browser: TestBrowser, origin: string, dir: string) {
  const name = `late-${crypto.randomUUID().slice(0, 8)}`;
  const url = `${origin}/api/v1/pipe/${name}`;
  const source = await randomFile(dir, "late.bin", 200_000);
  const receiver = curl("--fail", "-o", `${dir}/late.received`, url);
  const sender = curl("--fail", "-T", source, url);
  assert.equal((await sender.done).code, 0);
  assert.equal((await receiver.done).code, 0);

  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${url}?progress`);
  // No waiting for events: the embedded snapshot already says it.
  const shown = await page.evaluate(() => ({
    state: document.querySelector("main.dash")?.getAttribute("data-state"),
    final: document.querySelector("[data-testid=final]")?.textContent,
    value: document.querySelector("[role=progressbar]")?.getAttribute("aria-valuenow"),
    title: document.title,
  }));
  assert.equal(shown.state, "complete");
  assert.match(shown.final ?? "", /^Done: 200 kB in \d+ s, average [\d.]+ [kM]B\/s$/);
  assert.equal(shown.value, "100");
  assert.equal(shown.title, `✓ 100% · ${name}`);
  await watched.screenshot("dashboard-5-latecomer");
  assertClean(watched);
  await page.close();
}

async function dashboardShowsFailure(browser: TestBrowser, origin: string, dir: string) {
  const name = `broken-${crypto.randomUUID().slice(0, 8)}`;
  const url = `${origin}/api/v1/pipe/${name}`;
  const source = await randomFile(dir, "broken.bin", 5_000_000);
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${url}?progress`);
  const receiver = curl("-o", `${dir}/broken.received`, url);
  // A chunked upload has no Content-Length: the total is unknown.
  const sender = curl(
    "-H",
    "Transfer-Encoding: chunked",
    "--limit-rate",
    "300K",
    "-T",
    source,
    url,
  );
  await dashboardState(page, "streaming");
  await page.waitForFunction(() =>
    document.querySelector("[data-testid=bytes]")?.textContent !== "0 B"
  );
  assert.equal(await valueNow(page), null, "an unknown total has no aria-valuenow");
  assert.match(await page.getByRole("progressbar").getAttribute("class") ?? "", /indeterminate/);
  assert.match(await page.getByTestId("big").innerText(), /^[\d.]+ [kM]?B$/);
  await expectTitle(page, new RegExp(`^[\\d.]+ [kM]?B · ${name}$`));
  assert.equal(await page.getByTestId("eta").innerText(), "–");
  await watched.screenshot("dashboard-7-unknown-size");

  sender.kill();
  await dashboardState(page, "failed");
  assert.equal(await page.getByTestId("state").innerText(), "✗ Failed");
  const alert = await page.getByRole("alert").innerText();
  assert.match(alert, /^Failed: \S.+/, "the reason is shown");
  await expectTitle(page, `✗ failed · ${name}`);
  await watched.screenshot("dashboard-8-failed");
  await sender.done;
  assert.notEqual(
    (await receiver.done).code,
    0,
    "the receiver must not take a broken stream as complete",
  );
  assertClean(watched);
  await page.close();
}

async function frontPageSendsFile(browser: TestBrowser, origin: string, dir: string) {
  const name = `front-${crypto.randomUUID().slice(0, 8)}`;
  const url = `${origin}/api/v1/pipe/${name}`;
  const source = await randomFile(dir, "front.bin", 2_500_000);
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/`);
  assert.match(
    await page.getByTestId("cmd-send").innerText(),
    new RegExp(`^curl -T file\\.tar ${origin}/api/v1/pipe/\\S+$`),
  );
  await watched.screenshot("front-1-page");
  await page.getByTestId("pipe-name").fill(name);
  assert.equal(await page.getByTestId("cmd-send").innerText(), `curl -T file.tar ${url}`);
  assert.equal(await page.getByTestId("cmd-receive").innerText(), `curl -o file.tar ${url}`);
  assert.equal(await page.getByTestId("cmd-events").innerText(), `curl -N '${url}?progress'`);
  await page.getByTestId("file-input").setInputFiles(source);
  await page.getByTestId("send").click();
  await page.locator('[data-testid=send-progress][data-phase="running"]').waitFor();
  await page.getByText(`Receive it with: curl ${url}`).waitFor();
  await watched.screenshot("front-2-sending");

  const received = `${dir}/front.received`;
  const receiver = curl("--fail", "-o", received, url);
  await page.locator('[data-testid=send-progress][data-phase="done"]').waitFor();
  assert.equal(await page.getByRole("progressbar").getAttribute("aria-valuenow"), "100");
  assert.match(await page.getByTestId("send-progress").innerText(), /Sent 2\.50 MB to front-/);
  await watched.screenshot("front-3-sent");
  assert.deepEqual(await receiver.done, { code: 0, stderr: "" });
  await assertSameFile(received, source);

  // The watch box opens the dashboard of a name, which still shows the finished transfer.
  await page.getByRole("textbox", { name: "Pipe name to watch" }).fill(name);
  await page.getByRole("button", { name: "Open dashboard" }).click();
  await page.waitForURL(`${url}?progress`);
  await dashboardState(page, "complete");
  assert.equal(await page.getByTestId("bytes").innerText(), "2.50 MB of 2.50 MB");
  assertClean(watched, 2);
  await page.close();
}

async function frontPageSendsDropAndText(browser: TestBrowser, origin: string, dir: string) {
  const name = `drop-${crypto.randomUUID().slice(0, 8)}`;
  const url = `${origin}/api/v1/pipe/${name}`;
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/`);
  await page.getByTestId("pipe-name").fill(name);

  // Drop a file made in the page, as a drag from the desktop would.
  const dropped = "dropped bytes \u0000\u00ff✓\n".repeat(1000);
  const transfer = await page.evaluateHandle((text) => {
    const data = new DataTransfer();
    data.items.add(new File([text], "notes.txt", { type: "text/plain" }));
    return data;
  }, dropped);
  await page.getByTestId("drop-zone").dispatchEvent("dragover", { dataTransfer: transfer });
  await page.getByTestId("drop-zone").dispatchEvent("drop", { dataTransfer: transfer });
  await page.getByText("notes.txt · ").waitFor();
  const receivedDrop = `${dir}/drop.received`;
  const dropReceiver = curl("--fail", "-o", receivedDrop, url);
  await page.getByTestId("send").click();
  await page.locator('[data-testid=send-progress][data-phase="done"]').waitFor();
  assert.deepEqual(await dropReceiver.done, { code: 0, stderr: "" });
  assert.equal(await Deno.readTextFile(receivedDrop), dropped);

  // A second pipe: reusing a name right after its transfer is the server's business, not this
  // page's.
  const textUrl = `${url}-text`;
  await page.getByTestId("pipe-name").fill(`${name}-text`);
  await page.getByRole("button", { name: "Text", exact: true }).click();
  const text = "hello from the browser\nsecond line ✓\n";
  await page.getByTestId("text-input").fill(text);
  const receivedText = `${dir}/text.received`;
  const textReceiver = curl("--fail", "-o", receivedText, textUrl);
  await page.getByTestId("send").click();
  await page.locator('[data-testid=send-progress][data-phase="done"]').waitFor();
  assert.deepEqual(await textReceiver.done, { code: 0, stderr: "" });
  assert.equal(await Deno.readTextFile(receivedText), text);
  await watched.screenshot("front-4-text-sent");
  assertClean(watched);
  await page.close();
}

async function frontPageReceives(browser: TestBrowser, origin: string, dir: string) {
  const name = `inbox-${crypto.randomUUID().slice(0, 8)}`;
  const url = `${origin}/api/v1/pipe/${name}`;
  const source = await randomFile(dir, "inbox.bin", 1_500_000);
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await page.goto(`${origin}/`);
  await page.getByTestId("pipe-name").fill(name);
  await page.getByTestId("receive").click();
  await page.getByText(`Send to it with: curl -T FILE ${url}`).waitFor();
  const sender = curl(
    "--fail",
    "--limit-rate",
    "1M",
    "-H",
    'Content-Disposition: attachment; filename="inbox.bin"',
    "-T",
    source,
    url,
  );
  await page.locator('[data-testid=receive-progress][data-phase="done"]').waitFor();
  await watched.screenshot("front-5-received");
  assert.deepEqual(await sender.done, { code: 0, stderr: "" });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("save").click(),
  ]);
  assert.equal(download.suggestedFilename(), "inbox.bin");
  const saved = `${dir}/inbox.saved`;
  await download.saveAs(saved);
  await assertSameFile(saved, source);
  assertClean(watched);
  await page.close();
}

Deno.test("browser: a pipe page counts its watchers while nothing is sent", async () => {
  await using server = await startServer();
  await using browser = await launchBrowser();
  const { origin } = server;
  const url = `${origin}/api/v1/pipe/watched-${crypto.randomUUID().slice(0, 8)}`;
  const watched = await browser.newPage(origin);
  const { page } = watched;
  await assertWatchersFollowStream(page, `${url}?progress`);
  await dashboardState(page, "idle");
  assertClean(watched);
  await page.close();
  await browser.close();
});
