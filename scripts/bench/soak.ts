/**
 * The memory soak, `soak` (long): one transfer of `--long-size` (10 GB) through ringside to a
 * receiver capped at `--long-rate` (10 MB/s), the server's RSS sampled throughout.
 *
 * @module
 */

import {
  type BenchSection,
  connectAll,
  type Context,
  fmtMB,
  fmtRate,
  log,
  mb,
  type Options,
  pipeName,
  rssNow,
  runtimeSection,
  table,
  timeoutFor,
  verdict,
  writeRandomFile,
} from "./_context.ts";
import { curlRateBytes, ProcessProbe, type Runtime, Spectator, transfer } from "./_harness.ts";

/** The soak. */
export function soakSection(_options: Options): BenchSection {
  return runtimeSection({
    name: "soak",
    long: true,
    run: benchLong,
    report: (ctx, runtimes) => [reportSoak(ctx, runtimes)],
  });
}

/** How often the soak prints a line. */
const soakTickMs = 30_000;

async function benchLong(ctx: Context, runtimes: Runtime[]): Promise<void> {
  const { options } = ctx;
  const rate = curlRateBytes(options.longRate);
  const base = `${ctx.work}/base.bin`;
  await writeRandomFile(base, 64 * mb);
  const eta = options.longSize / rate;
  for (const runtime of runtimes) {
    const server = ctx.servers.get(runtime)!;
    log(
      `\n== soak: ringside (${runtime}), ${fmtMB(options.longSize)} to a receiver at ` +
        `--limit-rate ${options.longRate} (~${Math.ceil(eta / 60)} min)`,
    );
    const name = pipeName(runtime, "soak");
    const spectator = new Spectator(`${server.pipeUrl(name)}?progress`);
    await connectAll([spectator]);
    const probe = new ProcessProbe(server.proc.pid, 200);
    const started = performance.now();
    const ticker = setInterval(() => {
      const snapshot = parseSnapshot(spectator.report.lastData);
      const elapsed = ((performance.now() - started) / 1000).toFixed(0);
      log(
        `  ${elapsed} s: ${fmtMB(snapshot.bytes ?? 0)} relayed, ${snapshot.mbps ?? "?"} MB/s, ` +
          `RSS ${fmtMB(probe.current())} (peak ${fmtMB(probe.peak())})`,
      );
    }, soakTickMs);
    try {
      const result = await transfer({
        url: server.pipeUrl(name),
        upload: { kind: "generated", file: base, bytes: options.longSize },
        expectedBytes: options.longSize,
        limitRate: options.longRate,
        timeoutMs: timeoutFor(options.longSize, rate / 2),
        noExpect: options.noExpect,
      });
      const { peakRss: peak, cpuSeconds } = probe.stop();
      ctx.results.soak.set(runtime, { result, peak, rssEnd: rssNow(server) });
      ctx.results.get(`soak/${runtime}`).samples.push({ ...result, rss: peak, cpuSeconds, run: 1 });
      log(`  done: ${fmtRate(result.mbps)} MB/s, peak RSS ${fmtMB(peak)}`);
    } catch (error) {
      ctx.results.get(`soak/${runtime}`).errors.push((error as Error).message);
      log(`  FAILED ${(error as Error).message}`);
    } finally {
      clearInterval(ticker);
      probe.stop();
      spectator.close();
    }
  }
}

function parseSnapshot(data: string | undefined): { bytes?: number; mbps?: number } {
  try {
    return JSON.parse(data ?? "{}") as { bytes?: number; mbps?: number };
  } catch {
    return {};
  }
}

function reportSoak(ctx: Context, runtimes: Runtime[]): string[] {
  const rows = runtimes.map((runtime) => {
    const soak = ctx.results.soak.get(runtime);
    const before = ctx.results.rssAround.get(`ringside (${runtime})`)?.start;
    const idle = before === undefined ? "–" : fmtMB(before);
    if (!soak) return [`ringside (${runtime})`, "FAILED", idle, "", "", ""];
    return [
      `ringside (${runtime})`,
      fmtRate(soak.result.mbps),
      idle,
      fmtMB(soak.peak),
      fmtMB(soak.rssEnd),
      verdict(soak.peak < 100 * mb),
    ];
  });
  return [
    `Memory soak: ${fmtMB(ctx.options.longSize)} to a receiver at --limit-rate ` +
    `${ctx.options.longRate} (target: RSS < 100 MB throughout)`,
    table(["relay", "MB/s", "RSS before", "peak RSS", "RSS after", ""], rows, 1),
  ];
}
