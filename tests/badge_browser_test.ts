/**
 * Badges and embeds in a real browser (Debian's Chromium through playwright-core, see
 * tests/_browser.ts) against a real server: the badge parses as strict XML and renders at its
 * own size in light and dark pages (screenshots in `test-output/`); the `?embed` card inside an
 * `<iframe>` of a page on another loopback port follows the job live, while a full page in the
 * same frame is refused.
 */

import assert from "node:assert/strict";
import { launchBrowser, screenshotDir } from "./_browser.ts";
import { expectedWatchId, startServer } from "./_server.ts";
import { postOk } from "./_post.ts";

const SECRET = "watch-secret-e81f";

/** A page on its own loopback port (another origin than the server's), serving `html`. */
function hostPage(html: () => string) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(html(), { headers: { "content-type": "text/html; charset=utf-8" } }),
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("browser: badges are valid SVG and render in light and dark", async () => {
  await using server = await startServer({ args: ["--secret", SECRET] });
  await using browser = await launchBrowser();
  const { origin } = server;
  await postOk(`${origin}/api/v1/jobs/running`);
  await postOk(`${origin}/api/v1/jobs/percent`, { progress: 42 });
  await postOk(`${origin}/api/v1/jobs/done`);
  await postOk(`${origin}/api/v1/jobs/done/finish`, { ok: true });
  await postOk(`${origin}/api/v1/jobs/failed`);
  await postOk(`${origin}/api/v1/jobs/failed/finish`, { ok: false, error: "no" });
  const badges = [
    `/api/v1/jobs/running?format=svg`,
    `/api/v1/jobs/percent?format=svg&label=transcode`,
    `/api/v1/jobs/done?format=svg&label=${encodeURIComponent(`deploy <prod> & "eu"`)}`,
    `/w/${await expectedWatchId(SECRET, "job", "failed")}.svg`,
    `/api/v1/pipe/waiting?progress&format=svg`,
  ];
  const watched = await browser.newPage(origin);
  const { page } = watched;
  // A page of this server, so the badges are same-origin for fetch and <img>.
  await page.goto(`${origin}/api/v1/jobs/running?format=json`);
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const report = await page.evaluate(async (urls) => {
      document.documentElement.innerHTML = `<body style="margin:16px;background:${
        matchMedia("(prefers-color-scheme: dark)").matches ? "#111317" : "#ffffff"
      }"></body>`;
      const results = [];
      for (const url of urls) {
        const text = await (await fetch(url)).text();
        const doc = new DOMParser().parseFromString(text, "image/svg+xml");
        const parseError = doc.getElementsByTagName("parsererror").length > 0;
        const root = doc.documentElement;
        const img = new Image();
        img.src = url;
        img.style.display = "block";
        img.style.margin = "6px 0";
        document.body.append(img);
        await img.decode();
        results.push({
          url,
          parseError,
          root: root.localName,
          namespace: root.namespaceURI,
          width: Number(root.getAttribute("width")),
          title: doc.querySelector("title")?.textContent ?? "",
          scripts: doc.getElementsByTagName("script").length,
          natural: [img.naturalWidth, img.naturalHeight],
        });
      }
      return results;
    }, badges);
    for (const badge of report) {
      assert.equal(badge.parseError, false, badge.url);
      assert.equal(badge.root, "svg");
      assert.equal(badge.namespace, "http://www.w3.org/2000/svg");
      assert.equal(badge.scripts, 0);
      assert.deepEqual(badge.natural, [Math.round(badge.width), 20], badge.url);
    }
    assert.deepEqual(report.map((badge) => badge.title), [
      "job: running",
      "transcode: 42%",
      `deploy <prod> & "eu": ✓ done`,
      "job: ✗ failed",
      "pipe: waiting",
    ]);
    await page.screenshot({
      path: `${screenshotDir}badges-${scheme}.png`,
      clip: { x: 0, y: 0, width: 260, height: 150 },
    });
  }
  assert.deepEqual(watched.errors, []);
});

Deno.test("browser: the embed card in another site's iframe follows the job live", async () => {
  await using server = await startServer({ args: ["--secret", SECRET] });
  await using browser = await launchBrowser();
  const { origin } = server;
  await postOk(`${origin}/api/v1/jobs/framed`, { progress: 10, message: "starting" });
  const id = await expectedWatchId(SECRET, "job", "framed");
  await using host = hostPage(() =>
    `<!doctype html><title>status</title><body style="margin:0;background:#fafafa">
<iframe id="card" src="${origin}/w/${id}?embed" style="border:0;width:360px;height:420px"></iframe>
<iframe id="full" src="${origin}/w/${id}" style="border:0;width:360px;height:100px"></iframe>
</body>`
  );
  const watched = await browser.newPage(host.origin);
  const { page } = watched;
  // Chromium says so on the framing page's console when a frame-ancestors policy refuses a frame.
  const refused = page.waitForEvent("console", {
    predicate: (message) => /frame-ancestors 'none'/.test(message.text()),
  });
  await page.goto(`${host.origin}/`);
  const card = page.frameLocator("#card");
  await card.locator(`main.job[data-state="running"][data-connection="live"]`).waitFor();
  assert.equal(await card.getByTestId("big").textContent(), "10%");
  // No header, no script commands, a transparent page around the card.
  assert.equal(await card.locator("header.top").isVisible(), false);
  assert.equal(await card.locator("section.api").isVisible(), false);
  const background = await card.locator("body").evaluate((body) =>
    getComputedStyle(body).backgroundColor
  );
  assert.equal(background, "rgba(0, 0, 0, 0)");
  // The name never shows through the watch link.
  assert.equal((await card.locator("body").textContent())!.includes("framed"), false);
  const clip = { x: 0, y: 0, width: 390, height: 440 };
  await page.screenshot({ path: `${screenshotDir}embed-running.png`, clip });

  await postOk(`${origin}/api/v1/jobs/framed/progress`, { progress: 64, message: "halfway" });
  await card.getByTestId("big").filter({ hasText: "64%" }).waitFor();
  await postOk(`${origin}/api/v1/jobs/framed/finish`, { ok: true });
  await card.locator(`main.job[data-state="success"]`).waitFor();
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${screenshotDir}embed-done-dark.png`, clip });

  // The full page, framed by the same site, is refused by the browser.
  assert.match(
    (await refused).text(),
    /violates .*"frame-ancestors 'none'"\. The request has been blocked/,
  );
  assert.equal(await page.frameLocator("#full").locator("main").count(), 0);
});
