/**
 * Section 2, `spectators`: the same Content-Length transfer on ringside with 0, 50 and 500 SSE
 * spectators (`--spectators`) connected before it starts and reading in `_audience.ts`, a
 * separate process: stopped during the transfer (`elsewhere`: the server's whole cost, the
 * readers' CPU kept off the relay's cores) or reading alongside at `nice 19`.
 *
 * @module
 */

import type { AudienceReport } from "./_audience.ts";
import {
  type BenchSection,
  type Context,
  cpuPerGB,
  fmtMB,
  fmtRate,
  log,
  type Options,
  pairedRatios,
  pct,
  pipeName,
  record,
  relayOnce,
  runtimeSection,
  type Sample,
  stats,
  table,
  timeoutFor,
  verdict,
} from "./_context.ts";
import { cpuSeconds, median, Proc, root, type Runtime } from "./_harness.ts";

/** Section 2. */
export function spectatorsSection(_options: Options): BenchSection {
  return runtimeSection({
    name: "spectators",
    long: false,
    run: benchSpectators,
    report: (ctx, runtimes) => [reportSpectators(ctx, runtimes)],
  });
}

async function benchSpectators(ctx: Context, runtimes: Runtime[]): Promise<void> {
  const { options } = ctx;
  const counts = options.spectatorCounts.join("/");
  log(
    `\n== 2. ${counts} spectators on a ${fmtMB(options.size)} Content-Length transfer (no Expect)`,
  );
  for (let run = 1; run <= options.runs; run++) {
    for (const runtime of runtimes) {
      for (const count of options.spectatorCounts) {
        for (const audience of count === 0 ? [null] : audiences) {
          const key = spectatorKey(runtime, count, audience);
          const where = audience ? `, audience ${audience}` : "";
          const what = `ringside (${runtime}), ${count} spectators${where}, run ${run}`;
          await record(
            ctx,
            { key, what, run },
            () => watchedTransfer(ctx, { runtime, count, key, audience }),
          );
        }
      }
    }
  }
}

/**
 * Where the spectators' readers run while the transfer runs:
 * - `elsewhere`: the audience process is stopped (SIGSTOP) during the transfer and resumed after
 *   it. The server still writes every event to every socket (a few KB each, which loopback
 *   buffers take at once), so all of its work is measured; the readers' own CPU, which a real
 *   audience spends on its own machines, stays off the relay's cores.
 * - `alongside`: the audience reads during the transfer at `nice -n 19`, on the same cores.
 */
type Audience = "elsewhere" | "alongside";

const audiences: readonly Audience[] = ["elsewhere", "alongside"];

function spectatorKey(runtime: Runtime, count: number, audience: Audience | null): string {
  return `spectators/${runtime}/${count}${audience ? `/${audience}` : ""}`;
}

/**
 * A Content-Length transfer with `count` SSE spectators connected before it starts, reading in
 * `scripts/bench/_audience.ts`, a separate process.
 */
async function watchedTransfer(
  ctx: Context,
  { runtime, count, key, audience: where }: {
    runtime: Runtime;
    count: number;
    key: string;
    audience: Audience | null;
  },
): Promise<Omit<Sample, "run">> {
  const server = ctx.servers.get(runtime)!;
  const name = pipeName(runtime, "watched", count);
  const audience = count === 0 ? null : Proc.spawn(`audience of ${count}`, [
    "nice",
    "-n",
    "19",
    Deno.execPath(),
    "run",
    "-A",
    `${root}scripts/bench/_audience.ts`,
    `${server.pipeUrl(name)}?progress`,
    String(count),
  ]);
  try {
    await audience?.waitForOutput(/^ready$/m, 60_000);
    const readerCpu = audience ? cpuSeconds(audience.pid) : 0;
    if (audience && where === "elsewhere") Deno.kill(-audience.pid, "SIGSTOP");
    const transferring = relayOnce(ctx, {
      server,
      upload: { kind: "length", file: ctx.dataFile },
      name,
      expectedBytes: ctx.options.size,
      timeoutMs: timeoutFor(ctx.options.size),
      // A handshake stall (section 1b) would add the same seconds with and without spectators
      // and hide their cost in the ratio.
      noExpect: true,
    });
    const sample = await transferring.finally(() => {
      if (audience && where === "elsewhere") Deno.kill(-audience.pid, "SIGCONT");
    });
    const series = ctx.results.get(key);
    if (audience) {
      series.readerCpu.push((cpuSeconds(audience.pid) - readerCpu) / sample.seconds);
      const line = await audience.waitForOutput(/^report (.*)$/m, 30_000);
      const report = JSON.parse(line[1]!) as AudienceReport;
      if (report.errors.length > 0) throw new Error(`spectator failed: ${report.errors[0]}`);
      series.progressPerSpectator.push(report.progress.reduce((a, b) => a + b, 0) / count);
      series.missingDone += report.missingDone;
      if (report.missingDone > 0) {
        log(`  !! ${report.missingDone} of ${count} spectators did not get one 'done'`);
      }
    } else {
      series.readerCpu.push(0);
    }
    return sample;
  } finally {
    await audience?.stop();
  }
}

function reportSpectators(ctx: Context, runtimes: Runtime[]): string[] {
  const { results, options } = ctx;
  const targets: Record<number, number> = { 50: 0.03, 500: 0.10 };
  const rows: string[][] = [];
  for (const runtime of runtimes) {
    const base = results.get(spectatorKey(runtime, 0, null));
    const rowsOf = options.spectatorCounts.flatMap((count) =>
      (count === 0 ? [null] : audiences).map((audience) => ({ count, audience }))
    );
    for (const { count, audience } of rowsOf) {
      const series = results.get(spectatorKey(runtime, count, audience));
      const s = stats(series);
      const ratio = median(pairedRatios(series, base));
      const limit = targets[count];
      const events = series.progressPerSpectator;
      rows.push([
        `ringside (${runtime})`,
        String(count),
        audience ?? "",
        fmtRate(s.median),
        s.range,
        count === 0 ? "1" : ratio.toFixed(3),
        count === 0 ? "" : pct(1 - ratio),
        limit === undefined ? "" : `< ${(limit * 100).toFixed(0)} %`,
        limit === undefined || !Number.isFinite(ratio) ? "" : verdict(1 - ratio < limit),
        cpuPerGB(series).toFixed(2),
        count === 0 ? "" : (cpuPerGB(series) / cpuPerGB(base)).toFixed(2),
        events.length > 0 ? median(events).toFixed(1) : "",
        count === 0 ? "" : String(series.missingDone),
        s.rss,
        audience === "alongside" ? `${(median(series.readerCpu) * 100).toFixed(0)} %` : "",
        s.runs,
      ]);
    }
  }
  const header = [
    "relay",
    "spectators",
    "audience",
    "MB/s",
    "min–max",
    "÷ 0",
    "cost",
    "target",
    "",
    "server CPU s/GB",
    "÷ 0",
    "progress/spect.",
    "no done",
    "peak RSS",
    "readers CPU",
    "runs",
  ];
  return [
    "2. Spectators: SSE readers in scripts/bench/_audience.ts, a separate process, connected before the " +
    "transfer starts; Content-Length upload with -H 'Expect:'",
    "   (no 100-continue handshake, so a start-up stall cannot dilute the ratio). " +
    "÷ 0 = median of run-by-run ratios to the 0-spectator run.",
    "   audience elsewhere = the readers are stopped during the transfer and read afterwards: " +
    "the server does all its work (every event",
    "   written to every socket) while the readers' CPU, a real audience's, stays off the " +
    "relay's cores. alongside = the readers read during",
    "   the transfer at nice 19 on the same two cores; readers CPU = theirs, taken from the relay.",
    table(header, rows),
  ];
}
