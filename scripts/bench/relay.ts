/**
 * Section 1, `throughput`: one transfer at a time through every relay of `--only` (ringside on
 * Bun and Deno, piping-server, the raw TCP ceiling, the bare Bun relays): a Content-Length upload
 * (`curl -T FILE`) and a chunked one (`cat FILE | curl -T -`), receiver `curl -o /dev/null`,
 * timed from spawning both curls to the receiver's exit; (1b) the time of a 2 MB transfer
 * (rendezvous and curl's `Expect: 100-continue` handshake); (3) ringside ÷ piping-server and ÷
 * the bare relay and ceiling, with CPU per GB. Runs interleave (run 1 of every relay, then run 2…)
 * so that drift on a shared machine hits every relay alike.
 *
 * @module
 */

import {
  bareCounts,
  type BenchSection,
  type Context,
  cpuPerGB,
  fmtMB,
  fmtMs,
  fmtRate,
  log,
  mb,
  modeLabel,
  type Options,
  pairedRatios,
  pct,
  pipeName,
  record,
  relayOnce,
  runtimesOf,
  stats,
  table,
  targetLabel,
  targetNames,
  timeoutFor,
  times,
  verdict,
  writeRandomFile,
} from "./_context.ts";
import { median, rawTransfer, type Runtime } from "./_harness.ts";

/** Section 1 (with 1b and 3). */
export function throughputSection(_options: Options): BenchSection {
  return {
    name: "throughput",
    long: false,
    targets: targetNames,
    async run(ctx) {
      await benchThroughput(ctx);
      await benchLatency(ctx);
    },
    report(ctx) {
      const ceiling = ctx.options.targets.includes("ceiling") ? [ceilingNote] : [];
      const bare = ctx.options.targets.some((t) => t in bareCounts) ? [bareNote] : [];
      return [
        [...reportThroughput(ctx), ...ceiling, ...bare],
        reportLatency(ctx),
        reportRatios(ctx, runtimesOf(ctx)),
        reportAgainstRef(ctx),
        reportLimits(ctx),
      ];
    },
  };
}

async function benchThroughput(ctx: Context): Promise<void> {
  const { options } = ctx;
  log(`\n== 1. throughput, ${fmtMB(options.size)} per transfer, ${options.runs} run(s)`);
  for (let run = 1; run <= options.runs; run++) {
    for (const mode of ["length", "chunked"] as const) {
      for (const target of options.targets) {
        const upload = { kind: mode, file: ctx.dataFile };
        const what = `${targetLabel(target)}, ${modeLabel[mode]}, run ${run}`;
        const timeoutMs = timeoutFor(options.size);
        await record(ctx, { key: `throughput/${target}/${mode}`, what, run }, async () => {
          if (target === "ceiling") {
            const result = await rawTransfer(upload, { expectedBytes: options.size, timeoutMs });
            return { ...result, rss: undefined, cpuSeconds: undefined };
          }
          const name = pipeName(target, mode, run);
          return await relayOnce(ctx, {
            server: ctx.servers.get(target)!,
            upload,
            name,
            expectedBytes: options.size,
            timeoutMs,
          });
        });
      }
    }
  }
}

/** Bytes of the start-up latency transfer: above 1 MiB, where curl sends `Expect: 100-continue`. */
const latencyBytes = 2 * mb;

/**
 * Start-up latency: a 2 MB transfer is over in milliseconds, so its time is the handshake:
 * rendezvous, and curl's `Expect: 100-continue` (curl waits 1 s for `100 Continue` before it
 * sends the body when the server answers nothing, or answers the final status first).
 */
async function benchLatency(ctx: Context): Promise<void> {
  const { options } = ctx;
  const file = `${ctx.work}/small.bin`;
  await writeRandomFile(file, latencyBytes);
  log(`\n== 1b. start-up latency: ${fmtMB(latencyBytes)} transfers, ${options.runs} run(s)`);
  for (let run = 1; run <= options.runs; run++) {
    for (const mode of ["length", "chunked"] as const) {
      for (const target of options.targets) {
        const server = ctx.servers.get(target);
        if (!server) continue;
        const what = `${targetLabel(target)}, ${modeLabel[mode]}, latency run ${run}`;
        const upload = { kind: mode, file };
        const name = pipeName(target, "latency", mode, run);
        const label = { key: `latency/${target}/${mode}`, what, run };
        await record(
          ctx,
          label,
          () =>
            relayOnce(ctx, {
              server,
              upload,
              name,
              expectedBytes: latencyBytes,
              timeoutMs: 30_000,
            }),
        );
      }
    }
  }
}

function reportThroughput(ctx: Context): string[] {
  const { results, options } = ctx;
  const rows: string[][] = [];
  for (const mode of ["length", "chunked"] as const) {
    const piping = stats(results.get(`throughput/piping/${mode}`)).median;
    const ceiling = stats(results.get(`throughput/ceiling/${mode}`)).median;
    for (const target of options.targets) {
      const s = stats(results.get(`throughput/${target}/${mode}`));
      rows.push([
        modeLabel[mode],
        targetLabel(target),
        fmtRate(s.median),
        s.range,
        s.rss,
        s.cpu,
        target === "ceiling"
          ? "–"
          : cpuPerGB(results.get(`throughput/${target}/${mode}`)).toFixed(2),
        target === "piping" || target === "ceiling" ? "" : times(s.median / piping),
        target === "ceiling" ? "" : pct(s.median / ceiling),
        s.runs,
      ]);
    }
  }
  const header = [
    "upload",
    "relay",
    "MB/s",
    "min–max",
    "peak RSS",
    "server CPU",
    "CPU s/GB",
    "÷ piping",
    "of ceiling",
    "runs",
  ];
  return [
    "1. Relay throughput (median of runs; time from spawning both curls to the receiver's exit)",
    table(header, rows),
  ];
}

function reportLatency(ctx: Context): string[] {
  const rows: string[][] = [];
  for (const mode of ["length", "chunked"] as const) {
    for (const target of ctx.options.targets) {
      if (target === "ceiling") continue;
      const series = ctx.results.get(`latency/${target}/${mode}`);
      const ms = series.samples.map((s) => s.seconds * 1000);
      const slow = median(ms) > 500;
      rows.push([
        modeLabel[mode],
        targetLabel(target),
        fmtMs(median(ms)),
        ms.length > 0 ? `${Math.min(...ms).toFixed(0)}–${fmtMs(Math.max(...ms))}` : "–",
        Number.isNaN(median(ms))
          ? "FAILED"
          : slow
          ? "!!! STALLS (100-continue never answered?)"
          : "ok",
      ]);
    }
  }
  return [
    `1b. Start-up latency: time of a ${fmtMB(latencyBytes)} \`curl -T\` transfer, ` +
    "i.e. rendezvous + curl's Expect: 100-continue handshake (curl waits 1 s for an answer)",
    table(["upload", "relay", "median", "min–max", ""], rows),
  ];
}

function reportRatios(ctx: Context, runtimes: Runtime[]): string[] {
  if (!ctx.options.targets.includes("piping") || runtimes.length === 0) return [];
  const rows = runtimes.flatMap((runtime) =>
    (["length", "chunked"] as const).map((mode) => {
      const ours = ctx.results.get(`throughput/${runtime}/${mode}`);
      const theirs = ctx.results.get(`throughput/piping/${mode}`);
      const ratio = stats(ours).median / stats(theirs).median;
      const paired = median(pairedRatios(ours, theirs));
      const efficiency = cpuPerGB(theirs) / cpuPerGB(ours);
      return [
        `ringside (${runtime})`,
        modeLabel[mode],
        times(ratio),
        times(paired),
        verdict(Number.isNaN(ratio) ? undefined : ratio >= 1.5),
        times(efficiency),
      ];
    })
  );
  const header = ["relay", "upload", "MB/s ratio", "run by run", "target", "CPU/GB ratio"];
  return [
    "1c. ringside ÷ piping-server, same run (target ≥ 1.5×). MB/s ratio = ratio of the medians; " +
    "run by run = median of per-run ratios;",
    "   CPU/GB ratio = piping-server's server CPU per GB ÷ ringside's (> 1: ringside spends less " +
    "CPU per byte; telling when the cores are saturated)",
    table(header, rows),
  ];
}

/** ringside on Bun ÷ the same at `--ringside-ref`: MB/s run by run, CPU per GB, RSS. */
function reportAgainstRef(ctx: Context): string[] {
  const ours = ctx.servers.get("bun");
  const ref = ctx.servers.get("bun-ref");
  if (!ours || !ref) return [];
  const rows = (["length", "chunked"] as const).map((mode) => {
    const a = ctx.results.get(`throughput/bun/${mode}`);
    const b = ctx.results.get(`throughput/bun-ref/${mode}`);
    const paired = pairedRatios(a, b);
    const cpuRatios = a.samples.flatMap((s) => {
      const r = b.samples.find((t) => t.run === s.run);
      return r && s.cpuSeconds !== undefined && r.cpuSeconds !== undefined
        ? [(s.cpuSeconds / s.bytes) / (r.cpuSeconds / r.bytes)]
        : [];
    });
    return [
      modeLabel[mode],
      times(median(paired)),
      paired.map((r) => r.toFixed(2)).join(" "),
      `${cpuPerGB(a).toFixed(2)} / ${cpuPerGB(b).toFixed(2)}`,
      times(median(cpuRatios)),
    ];
  });
  const around = (server: typeof ours) => ctx.results.rssAround.get(server.label)?.start ?? NaN;
  return [
    `1e. ringside (bun) ÷ ${ref.label}, same run: MB/s and CPU per GB, median of run-by-run ` +
    "ratios (CPU ratio < 1: less CPU per byte now)",
    table(["upload", "MB/s ratio", "runs", "CPU s/GB now / ref", "CPU/GB ratio"], rows, 1),
    `  RSS after warm-up: ${fmtMB(around(ours))} now, ${fmtMB(around(ref))} at the ref`,
  ];
}

export function reportMemory(ctx: Context): string[] {
  const rows: string[][] = [];
  for (const [target, server] of ctx.servers) {
    const around = ctx.results.rssAround.get(server.label);
    const peaks = [...["length", "chunked"].map((m) => `throughput/${target}/${m}`)]
      .concat(ctx.options.spectatorCounts.map((n) => `spectators/${target}/${n}`), [
        `tar/${target}`,
      ])
      .flatMap((key) =>
        ctx.results.get(key).samples.flatMap((s) => (s.rss === undefined ? [] : [s.rss]))
      );
    rows.push([
      server.label,
      around ? fmtMB(around.start) : "–",
      peaks.length > 0 ? fmtMB(Math.max(...peaks)) : "–",
      around && around.end > 0 ? fmtMB(around.end) : "–",
    ]);
  }
  const split = [...ctx.results.rssAnonAfterWarmUp].map(([label, { anon, file }]) =>
    `  ${label} after warm-up: ${fmtMB(anon)} anonymous (its own), ` +
    `${fmtMB(file)} file-backed (the runtime's binary and libraries, shared)`
  );
  const hello = ctx.results.helloRss;
  if (hello > 0) rows.push(["Bun.serve hello world (100 requests)", fmtMB(hello), "–", "–"]);
  const overHello = hello === 0 ? [] : ["bun", "bun-ref"].flatMap((target) => {
    const server = ctx.servers.get(target as "bun" | "bun-ref");
    const around = server && ctx.results.rssAround.get(server.label);
    if (!server || !around) return [];
    const over = around.start - hello;
    return [
      `  ${server.label} after warm-up − hello world: ${fmtMB(over)} ` +
      `(target ≤ 15 MB: ${verdict(over <= 15 * mb)})`,
    ];
  });
  return [
    "5. Server memory (VmRSS; peak = max of sampled VmRSS and VmHWM reset per transfer)",
    table(["server", "after warm-up", "peak in any transfer", "after all transfers"], rows, 1),
    ...overHello,
    ...split,
  ];
}

const ceilingNote = "raw TCP ceiling = socat relaying between two accepted loopback sockets " +
  "(no HTTP), fed by socat from the file (or from `cat FILE |` for the chunked row),\n" +
  "  read by `curl --http0.9 -o /dev/null`: the same data path through one user-space copy, " +
  "without HTTP parsing or framing.";

const bareNote = "bare Bun relay = scripts/bench/_bare_relay.ts: the receiver's body is one pull " +
  "stream over the sender's body on Bun, with no counting, fan-out or limits;\n" +
  "  the fastest a relay can be on Bun while JavaScript sees each chunk, as ringside must to " +
  "count bytes for progress.\n" +
  "  + count in pull: the same, counting each chunk where it is read (as ringside's FanOut " +
  "does); + TransformStream count: counting in a separate stage\n" +
  "  (the ByteCounter shape ringside measured and left). Bun native pass-through = " +
  "new Response(request.body): Bun pipes the body itself and no JavaScript sees a chunk, so " +
  "nothing can count there.";

/** The relays that bound ringside on Bun: the bare one-stream relay and Bun's native pipe. */
const limits = ["bare", "bare-native"] as const;

function reportLimits(ctx: Context): string[] {
  const ours = (["bun", "bun-ref"] as const).filter((t) => ctx.servers.has(t));
  const present = limits.filter((t) => ctx.servers.has(t));
  if (ours.length === 0 || present.length === 0) return [];
  const rows = ours.flatMap((target) =>
    (["length", "chunked"] as const).flatMap((mode) =>
      present.map((limit) => {
        const a = ctx.results.get(`throughput/${target}/${mode}`);
        const b = ctx.results.get(`throughput/${limit}/${mode}`);
        return [
          targetLabel(target),
          modeLabel[mode],
          targetLabel(limit),
          fmtRate(stats(b).median),
          times(stats(a).median / stats(b).median),
          times(median(pairedRatios(a, b))),
        ];
      })
    )
  );
  return [
    "1d. ringside on Bun ÷ the limits, same run: the bare relay (one JavaScript stream, no " +
    "count) and Bun's native pass-through (no JavaScript per chunk)",
    table(["relay", "upload", "limit", "limit MB/s", "ratio", "run by run"], rows, 3),
  ];
}
