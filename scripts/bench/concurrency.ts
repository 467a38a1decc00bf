/**
 * Section `concurrency` (long): 1, 8 and 32 (`--concurrency`) simultaneous transfers of
 * `--concurrency-size` (256 MB) each on distinct pipes, `curl -T FILE` to `curl -o /dev/null`,
 * through ringside on Bun and through piping-server, steps and relays interleaved run by run.
 * Aggregate MB/s = all bytes ÷ the time from spawning the first curl to the last receiver's
 * exit; server CPU s/GB = the server's CPU time over that span ÷ the bytes. Goal: ringside ≥
 * piping-server at each step, CPU/GB ≤ piping-server's.
 *
 * @module
 */

import {
  type BenchSection,
  type Context,
  cpuPerGB,
  fmtMB,
  fmtRate,
  log,
  type Options,
  pairedRatios,
  pipeName,
  record,
  stats,
  table,
  type Target,
  targetLabel,
  timeoutFor,
  times,
  verdict,
  writeRandomFile,
} from "./_context.ts";
import { median, ProcessProbe, type Server, transfer } from "./_harness.ts";

const relays: readonly Target[] = ["bun", "bun-ref", "piping"];

/** The `concurrency` section. */
export function concurrencySection(options: Options): BenchSection {
  const key = (target: Target, n: number) => `concurrency/${target}/${n}`;
  return {
    name: "concurrency",
    long: true,
    targets: ["bun", "piping"],
    async run(ctx) {
      const file = `${ctx.work}/concurrency.bin`;
      await writeRandomFile(file, options.concurrencySize);
      const targets = relays.filter((t) => ctx.servers.has(t));
      log(
        `\n== concurrency: ${options.concurrencySteps.join("/")} simultaneous transfers of ` +
          `${fmtMB(options.concurrencySize)}, ${options.runs} run(s)`,
      );
      for (let run = 1; run <= options.runs; run++) {
        for (const n of options.concurrencySteps) {
          for (const target of targets) {
            const server = ctx.servers.get(target)!;
            const what = `${targetLabel(target)}, ${n} at once, run ${run}`;
            await record(
              ctx,
              { key: key(target, n), what, run },
              () => simultaneous(ctx, server, { n, file, size: options.concurrencySize, target }),
            );
          }
        }
      }
    },
    report(ctx) {
      const targets = relays.filter((t) => ctx.servers.has(t));
      const rows: string[][] = [];
      for (const n of options.concurrencySteps) {
        const piping = ctx.results.get(key("piping", n));
        for (const target of targets) {
          const series = ctx.results.get(key(target, n));
          const s = stats(series);
          const ours = target !== "piping" && ctx.servers.has("piping");
          const mbpsRatio = median(pairedRatios(series, piping));
          const cpuRatio = cpuPerGB(series) / cpuPerGB(piping);
          rows.push([
            String(n),
            targetLabel(target),
            fmtRate(s.median),
            s.range,
            cpuPerGB(series).toFixed(2),
            s.rss,
            ours ? times(mbpsRatio) : "",
            ours ? times(cpuRatio) : "",
            ours && Number.isFinite(mbpsRatio) ? verdict(mbpsRatio >= 1 && cpuRatio <= 1) : "",
            s.runs,
          ]);
        }
      }
      return [[
        `Concurrency: N simultaneous ${fmtMB(options.concurrencySize)} Content-Length transfers ` +
        "on distinct pipes; aggregate MB/s (all bytes ÷ first spawn to last receiver exit),",
        "  server CPU s/GB over that span; ÷ piping = median of run-by-run ratios (MB/s) and " +
        "ratio of the CPU/GB medians (goal: MB/s ≥ 1×, CPU/GB ≤ 1×)",
        table(
          [
            "at once",
            "relay",
            "MB/s",
            "min–max",
            "CPU s/GB",
            "peak RSS",
            "MB/s ÷ piping",
            "CPU/GB ÷ piping",
            "goal",
            "runs",
          ],
          rows,
        ),
      ]];
    },
  };
}

/** `n` transfers at once through `server`, timed together, the server's CPU and RSS watched. */
async function simultaneous(
  ctx: Context,
  server: Server,
  { n, file, size, target }: { n: number; file: string; size: number; target: Target },
) {
  const probe = new ProcessProbe(server.proc.pid);
  const started = performance.now();
  try {
    // Each transfer's own time includes its wait for a core; the aggregate is what counts.
    const transfers = Array.from({ length: n }, (_, i) =>
      transfer({
        url: server.pipeUrl(pipeName(target, "concurrent", n, i)),
        upload: { kind: "length", file },
        expectedBytes: size,
        // 32 transfers share the machine: give each the time of all of them.
        timeoutMs: timeoutFor(size * n),
        noExpect: ctx.options.noExpect,
      }));
    const results = await Promise.allSettled(transfers);
    const failed = results.filter((r) => r.status === "rejected");
    if (failed.length > 0) {
      const first = (failed[0] as PromiseRejectedResult).reason as Error;
      throw new Error(`${failed.length} of ${n} transfers failed: ${first.message}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const { peakRss, cpuSeconds } = probe.stop();
    const bytes = size * n;
    return { seconds, bytes, mbps: bytes / seconds / 1e6, rss: peakRss, cpuSeconds };
  } finally {
    probe.stop();
  }
}
