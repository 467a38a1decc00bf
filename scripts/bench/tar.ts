/**
 * Sections 4 and 6, `tar`: `tar -cf - DIR | curl -T -` through ringside to a receiver capped at
 * `curl --limit-rate 50M` (the guard against Deno's slow-receiver regression), watched by one
 * spectator whose `progress` events give the cadence and the speed it was told.
 *
 * @module
 */

import {
  type BenchSection,
  connectAll,
  type Context,
  finishAll,
  fmtMB,
  fmtMs,
  fmtRate,
  log,
  mb,
  type Options,
  pipeName,
  record,
  relayOnce,
  runtimeSection,
  stats,
  table,
  timeoutFor,
  verdict,
} from "./_context.ts";
import { capture, median, percentile, type Runtime, Spectator } from "./_harness.ts";

/** Sections 4 and 6. */
export function tarSection(_options: Options): BenchSection {
  return runtimeSection({
    name: "tar",
    long: false,
    run: benchTar,
    report: (ctx, runtimes) => [reportTar(ctx, runtimes), reportCadence(ctx, runtimes)],
  });
}

/** A directory of `bytes` bytes of random data in big and small files, as a real tree has. */
async function makeTree(dir: string, dataFile: string, bytes: number): Promise<void> {
  await Deno.mkdir(`${dir}/small`, { recursive: true });
  using data = await Deno.open(dataFile);
  const dataSize = (await data.stat()).size;
  let left = bytes;
  for (let i = 0; left > 0; i++) {
    const size = Math.min(left, i % 64 === 0 ? 16 * mb : i % 2 === 0 ? 4 * mb : 20_000 + i * 97);
    const buffer = new Uint8Array(size);
    await data.seek((bytes - left) % Math.max(1, dataSize - size), Deno.SeekMode.Start);
    for (let at = 0; at < size;) {
      const n = await data.read(buffer.subarray(at));
      if (n === null) break;
      at += n;
    }
    const path = size < mb ? `${dir}/small/f${i}.bin` : `${dir}/part-${i}.bin`;
    await Deno.writeFile(path, buffer);
    left -= size;
  }
}

async function tarSize(dir: string): Promise<number> {
  const out = await capture(["sh", "-c", `tar -cf - -C "$1" . | wc -c`, "sh", dir]);
  if (out === undefined) throw new Error("tar failed");
  return Number(out);
}

async function benchTar(ctx: Context, runtimes: Runtime[]): Promise<void> {
  const { options } = ctx;
  const dir = `${ctx.work}/tree`;
  await makeTree(dir, ctx.dataFile, options.tarSize);
  const bytes = await tarSize(dir);
  log(`\n== 4. tar -cf - (${fmtMB(bytes)}) | curl -T -, receiver curl --limit-rate 50M`);
  for (const runtime of runtimes) {
    const server = ctx.servers.get(runtime)!;
    const name = pipeName(runtime, "tar");
    const spectator = new Spectator(`${server.pipeUrl(name)}?progress`);
    const label = { key: `tar/${runtime}`, what: `ringside (${runtime}), tar, capped`, run: 1 };
    await record(ctx, label, async () => {
      await connectAll([spectator]);
      const sample = await relayOnce(ctx, {
        server,
        upload: { kind: "tar", dir },
        name,
        expectedBytes: bytes,
        limitRate: "50M",
        timeoutMs: timeoutFor(bytes),
      });
      const [report] = await finishAll([spectator]);
      ctx.results.cadence.set(runtime, intervals(report!.progressTimes));
      ctx.results.reportedMbps.set(runtime, report!.progressMbps);
      return sample;
    });
    spectator.close();
  }
}

function intervals(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

function reportTar(ctx: Context, runtimes: Runtime[]): string[] {
  const rows = runtimes.map((runtime) => {
    const s = stats(ctx.results.get(`tar/${runtime}`));
    const flag = !Number.isFinite(s.median)
      ? "FAILED"
      : s.median < 35
      ? "!!! FAR BELOW 50 MB/s: slow-receiver regression (Deno ≥ 2.8.3?)"
      : "ok";
    return [`ringside (${runtime})`, fmtRate(s.median), s.rss, s.cpu, flag];
  });
  return [
    "4. tar -cf - DIR | curl -T -, receiver curl --limit-rate 50M (= 52.4 MB/s; expect ~50)",
    table(["relay", "MB/s", "peak RSS", "server CPU", ""], rows, 1),
  ];
}

function reportCadence(ctx: Context, runtimes: Runtime[]): string[] {
  const cadence = runtimes.map((runtime) => {
    const gaps = ctx.results.cadence.get(runtime) ?? [];
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const [p5, p95] = [percentile(gaps, 5), percentile(gaps, 95)];
    const ok = gaps.length < 2 ? undefined : p5 >= 220 && p95 <= 280;
    // The capped receiver reads in bursts: the speed spectators are told should still be the
    // speed the transfer had (its first seconds, while the window fills, aside).
    const reported = (ctx.results.reportedMbps.get(runtime) ?? []).slice(12);
    const measured = ctx.results.get(`tar/${runtime}`).samples[0]?.mbps ?? NaN;
    const told = reported.length > 0 ? median(reported) : NaN;
    return [
      `ringside (${runtime})`,
      String(gaps.length),
      fmtMs(mean),
      fmtMs(p5),
      fmtMs(p95),
      fmtMs(Math.min(...gaps)),
      fmtMs(Math.max(...gaps)),
      verdict(ok),
      fmtRate(told),
      fmtRate(measured),
      Number.isFinite(told / measured) ? `${((told / measured - 1) * 100).toFixed(1)} %` : "–",
    ];
  });
  return [
    "6. Progress cadence seen by one spectator of the capped tar transfer " +
    "(target 250 ± 30 ms at p5 and p95), and the speed it was told (median mbps of its " +
    "progress events after the first 3 s) against the transfer's measured speed",
    table(
      ["relay", "intervals", "mean", "p5", "p95", "min", "max", "", "told", "measured", "off by"],
      cadence,
      1,
    ),
  ];
}
