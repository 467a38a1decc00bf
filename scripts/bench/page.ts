/**
 * Section `page`: what a phone waits for. The dashboard's first contentful paint ÷ a one-line
 * page's (`/robots.txt` from the same server), in the same headless Chromium, median of
 * `--page-runs` (10) each, interleaved, each in a fresh browser context (empty cache); and the
 * gzipped size of every page against the 40 KB budget. These were test assertions once; on a
 * shared 2-core machine a threshold in milliseconds measured the machine, so here they are
 * ratios and figures measured in one run.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";
import { type BenchSection, type Context, log, type Options, table } from "./_context.ts";
import { median, type Server } from "./_harness.ts";
import { chromiumArgs, chromiumPath } from "../../tests/_browser.ts";

/** The budget of every page, gzipped. */
const budgetBytes = 40_000;
/**
 * The dashboard may paint this many times later than a one-line page: the 300 ms budget the
 * browser test once held, over the ~120 ms a one-line page takes on an idle machine.
 */
const paintRatioTarget = 2.5;

interface PageUrl {
  label: string;
  path: string;
}

/** The `page` section. */
export function pageSection(options: Options): BenchSection {
  /** Paint times in ms by page, then by run. */
  const paints = new Map<string, Map<number, number>>();
  const sizes: { label: string; raw: number; gzipped: number }[] = [];
  const failures: string[] = [];
  const pages: PageUrl[] = [
    { label: "one-line page (/robots.txt)", path: "/robots.txt" },
    { label: "dashboard, idle pipe", path: "/api/v1/pipe/bench-page?progress" },
    { label: "front page", path: "/" },
  ];
  return {
    name: "page",
    long: false,
    targets: ["bun"],
    async run(ctx) {
      const server = ctx.servers.get("bun");
      if (!server) return;
      log(`\n== page: first contentful paint, ${options.pageRuns} per page; gzipped sizes`);
      for (const page of pages.slice(1)) {
        sizes.push({ label: page.label, ...await size(server, page) });
      }
      let browser: Browser;
      try {
        browser = await chromium.launch({
          executablePath: chromiumPath,
          headless: true,
          args: [...chromiumArgs],
        });
      } catch (error) {
        failures.push(`Chromium did not start: ${(error as Error).message.split("\n")[0]}`);
        log(`  ${failures.at(-1)}`);
        return;
      }
      try {
        await firstPaint(browser, server, pages[0]!); // warm the browser's own start-up
        for (let run = 1; run <= options.pageRuns; run++) {
          for (const page of pages) {
            try {
              const ms = await firstPaint(browser, server, page);
              if (!paints.has(page.label)) paints.set(page.label, new Map());
              paints.get(page.label)!.set(run, ms);
              log(`  ${page.label}, run ${run}: first contentful paint ${ms.toFixed(0)} ms`);
            } catch (error) {
              failures.push(`${page.label}: ${(error as Error).message.split("\n")[0]}`);
            }
          }
        }
      } finally {
        await browser.close();
      }
      ctx.results.get("page").errors.push(...failures);
    },
    report(_ctx: Context) {
      const byRun = (page: PageUrl) => paints.get(page.label) ?? new Map<number, number>();
      const blankRuns = byRun(pages[0]!);
      const blank = median([...blankRuns.values()]);
      const paintRows = pages.map((page) => {
        const runs = byRun(page);
        const ms = [...runs.values()];
        const ratio = median(ms) / blank;
        const paired = median(
          [...runs].flatMap(([run, t]) => blankRuns.has(run) ? [t / blankRuns.get(run)!] : []),
        );
        const first = page === pages[0];
        return [
          page.label,
          ms.length > 0 ? `${median(ms).toFixed(0)} ms` : "–",
          ms.length > 0 ? `${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)} ms` : "–",
          first ? "1" : Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "–",
          first ? "1" : Number.isFinite(paired) ? `${paired.toFixed(2)}×` : "–",
          first || !Number.isFinite(paired) ? "" : paired <= paintRatioTarget ? "ok" : "MISSED",
          String(ms.length),
        ];
      });
      const sizeRows = sizes.map(({ label, raw, gzipped }) => [
        label,
        `${raw} B`,
        `${gzipped} B`,
        `${(gzipped / budgetBytes * 100).toFixed(0)} %`,
        gzipped < budgetBytes ? "ok" : "MISSED",
      ]);
      return [[
        `Page: first contentful paint in headless Chromium (fresh context each, 390×844), median ` +
        `of runs; ÷ one-line = ratio of the medians, run by run = median of each run's ratio to ` +
        `the one-line page's (target ≤ ${paintRatioTarget}×)`,
        table(["page", "FCP", "min–max", "÷ one-line", "run by run", "", "runs"], paintRows, 1),
        "",
        `Page sizes as served, gzipped (CompressionStream, default level; budget ${budgetBytes} B)`,
        table(["page", "raw", "gzipped", "of budget", ""], sizeRows, 1),
      ]];
    },
  };
}

async function size(server: Server, page: PageUrl): Promise<{ raw: number; gzipped: number }> {
  const res = await fetch(`${server.origin}${page.path}`, { headers: { accept: "text/html" } });
  const body = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) throw new Error(`${page.path}: HTTP ${res.status}`);
  const gzipped = new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"));
  return { raw: body.byteLength, gzipped: (await new Response(gzipped).arrayBuffer()).byteLength };
}

/** Milliseconds from navigation start to the first contentful paint, in a fresh context. */
async function firstPaint(browser: Browser, server: Server, page: PageUrl): Promise<number> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
  });
  try {
    const tab = await context.newPage();
    await tab.goto(`${server.origin}${page.path}`, { waitUntil: "load", timeout: 30_000 });
    return await tab.evaluate(() =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error("no first-contentful-paint entry")),
          10_000,
        );
        new PerformanceObserver((list) => {
          const entry = list.getEntriesByName("first-contentful-paint")[0];
          if (entry) {
            clearTimeout(timer);
            resolve(entry.startTime);
          }
        }).observe({ type: "paint", buffered: true });
      })
    );
  } finally {
    await context.close();
  }
}
