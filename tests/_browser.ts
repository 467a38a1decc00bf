/**
 * A real browser for end-to-end tests: Debian's Chromium (`/usr/bin/chromium`, or
 * `RINGSIDE_CHROMIUM`) driven by playwright-core, headless, at a phone viewport, with a fresh
 * profile that is deleted afterwards. Playwright never downloads a browser here.
 */

import assert from "node:assert/strict";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** The Chromium binary the tests drive. */
export const chromiumPath: string = Deno.env.get("RINGSIDE_CHROMIUM") ?? "/usr/bin/chromium";

/** Where screenshots go, for a person to look at. */
export const screenshotDir: string = new URL("../test-output/", import.meta.url).pathname;

/**
 * Chromium's flags for a quiet, reproducible run on a server (no sandbox, no GPU, no background
 * traffic); the bench's page section launches with them too.
 */
export const chromiumArgs: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser with one context; closing it deletes its profile. */
export interface TestBrowser extends AsyncDisposable {
  readonly context: BrowserContext;
  /** Opens a page that records what a test must not see (see {@linkcode WatchedPage}). */
  newPage(origin: string): Promise<WatchedPage>;
  close(): Promise<void>;
}

/** A page and what went wrong on it. */
export interface WatchedPage {
  readonly page: Page;
  /** Uncaught exceptions and console errors, in order. */
  readonly errors: string[];
  /** Requests to anything but `origin` (and `data:`/`blob:` URLs). */
  readonly foreignRequests: string[];
  /** Main-frame navigations, the first load included: a reload adds one. */
  readonly navigations: () => number;
  /** Saves a full-page screenshot as `test-output/NAME.png`. */
  screenshot(name: string): Promise<void>;
}

/** Launches Chromium at a 390 × 844 phone viewport with a fresh `--user-data-dir`. */
export async function launchBrowser(): Promise<TestBrowser> {
  try {
    await Deno.stat(chromiumPath);
  } catch {
    throw new Error(
      `Chromium not found at ${chromiumPath}: run 'apt-get install -y chromium' (or set RINGSIDE_CHROMIUM)`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "ringside-chromium-" });
  let context: BrowserContext;
  try {
    // launchPersistentContext passes `profile` as --user-data-dir (Playwright forbids passing
    // that flag in `args`).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", ...chromiumArgs],
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      acceptDownloads: true,
    });
  } catch (error) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw error;
  }
  await Deno.mkdir(screenshotDir, { recursive: true });
  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    closed ??= context.close().finally(() =>
      Deno.remove(profile, { recursive: true }).catch(() => {})
    );
    return closed;
  }
  return {
    context,
    close,
    [Symbol.asyncDispose]: close,
    async newPage(origin: string): Promise<WatchedPage> {
      const page = await context.newPage();
      const errors: string[] = [];
      const foreignRequests: string[] = [];
      let navigations = 0;
      page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`console: ${message.text()}`);
      });
      page.on("request", (request) => {
        const url = request.url();
        if (!url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url)) foreignRequests.push(url);
      });
      page.on("framenavigated", (frame) => {
        if (frame === page.mainFrame()) navigations++;
      });
      return {
        page,
        errors,
        foreignRequests,
        navigations: () => navigations,
        async screenshot(name: string) {
          await page.screenshot({ path: `${screenshotDir}${name}.png`, fullPage: true });
        },
      };
    },
  };
}

/**
 * Waits until the tab's title is `expected` (or matches it), then asserts it, so a failure says
 * what the title was. A page sets its title as it renders, and the page may still be rendering.
 */
export async function expectTitle(page: Page, expected: string | RegExp): Promise<void> {
  const pattern = typeof expected === "string"
    ? null
    : { source: expected.source, flags: expected.flags };
  const text = typeof expected === "string" ? expected : null;
  await page.waitForFunction(
    ({ text, pattern }) =>
      pattern === null
        ? document.title === text
        : new RegExp(pattern.source, pattern.flags).test(document.title),
    { text, pattern },
  ).catch(() => {}); // the assertion below reports the title it saw
  const title = await page.title();
  if (typeof expected === "string") assert.equal(title, expected);
  else assert.match(title, expected);
}

/** Asserts that nothing went wrong on the page and that it navigated `navigations` times. */
export function assertClean(watched: WatchedPage, navigations = 1): void {
  assert.deepEqual(watched.errors, [], "errors on the page");
  assert.deepEqual(watched.foreignRequests, [], "requests to other hosts");
  assert.equal(watched.navigations(), navigations, "the page reloaded or navigated");
}

/** The progress bar's `aria-valuenow`, or `null` when it has none (indeterminate). */
export async function valueNow(page: Page): Promise<number | null> {
  const value = await page.getByRole("progressbar").getAttribute("aria-valuenow");
  return value === null ? null : Number(value);
}

/**
 * Answers the page's JSON polls with `{}`: they learn nothing, so only the page's stream can
 * change what it shows.
 */
export async function answerJsonPollsEmpty(page: Page): Promise<void> {
  await page.route(
    /format=json/,
    (route) => route.fulfill({ status: 200, contentType: "application/json", body: "{}" }),
  );
}

/**
 * Opens the dashboard at `url` and asserts that it counts its watchers from its stream: 1 (the
 * page itself, though its embedded snapshot was taken before it watched), 2 while another SSE
 * spectator of `url` is connected, 1 again once it left.
 */
export async function assertWatchersFollowStream(page: Page, url: string): Promise<void> {
  await page.goto(url);
  const watchers = (count: number) =>
    page.getByTestId("spectators").filter({ hasText: new RegExp(`^${count}$`) }).waitFor();
  await watchers(1);
  const other = await fetch(url, { headers: { accept: "text/event-stream" } });
  await watchers(2);
  await other.body?.cancel();
  await watchers(1);
}

/** What {@linkcode watchFromFrontPage} types into a box of the front page. */
export interface FrontPageBox {
  /** The box: `job` or `process` (its textbox is "KIND id to watch", its button "Watch KIND"). */
  kind: "job" | "process";
  /** A value the box must refuse, saying `reason`, without leaving the page. */
  invalid: string;
  reason: RegExp;
  /** The id it then watches, and the dashboard URL that must open. */
  id: string;
  dashboard: string;
}

/**
 * Opens the front page, asks a box to watch an invalid id (it must say why and stay on the
 * page), then a valid one, and waits for that dashboard to open.
 */
export async function watchFromFrontPage(
  watched: WatchedPage,
  origin: string,
  box: FrontPageBox,
): Promise<void> {
  const { page } = watched;
  const name = box.kind[0]!.toUpperCase() + box.kind.slice(1);
  const textbox = page.getByRole("textbox", { name: `${name} id to watch` });
  const button = page.getByRole("button", { name: `Watch ${box.kind}` });
  await page.goto(`${origin}/`);
  await textbox.fill(box.invalid);
  await button.click();
  assert.match(await page.getByRole("alert").innerText(), box.reason);
  assert.equal(watched.navigations(), 1, "an invalid name stays on the page");
  await textbox.fill(box.id);
  await button.click();
  await page.waitForURL(box.dashboard);
}
