/**
 * The bench: ringside against piping-server (Node), a raw TCP ceiling (socat) and bare Bun relays,
 * measured in one run on this machine. It prints figures and ratios; it is not a test. Each
 * section is a module in `scripts/bench/`; `_harness.ts` and `_context.ts` are what they share.
 *
 * ```sh
 * deno task bench                                   # the default sections (~10 min on 2 cores)
 * deno task bench --quick                           # smoke run (200 MB, 1 run)
 * deno task bench --only piping,bun,throughput --size 500M
 * deno task bench --long                            # the long sections: soak, concurrency, idle
 * deno task bench --only concurrency                # one long section
 * deno task bench --only jobs,bun --runs 1          # the jobs section on Bun only
 * deno task bench --only bun,bun-ref,throughput --ringside-ref HEAD~3 --runs 15
 * ```
 *
 * Sections (name in `--only`):
 * - `throughput` (relay.ts): one transfer at a time, Content-Length and chunked, every relay;
 *   the 2 MB start-up latency; ringside ÷ piping-server.
 * - `spectators` (spectators.ts): 0/50/500 SSE spectators on a transfer.
 * - `tar` (tar.ts): `tar | curl -T -` to a receiver capped at 50 MB/s; progress cadence.
 * - `page` (page.ts): the dashboard's first contentful paint ÷ a one-line page's, in the same
 *   Chromium; the pages' gzipped sizes against the 40 KB budget.
 * - long, with `--long` or by name: `soak` (soak.ts), `concurrency` (concurrency.ts), `idle`
 *   (idle.ts), and the three that also run standalone, adapted in standalone.ts: `churn`
 *   (churn.ts: sequential 1 MB transfers each watched; what retained pipes cost), `jobs`
 *   (jobs.ts: publishes/s and delivery lag with 0/50/500 spectators), `processes`
 *   (processes.ts: what `ringside run` costs a command printing 1,000,000 lines), `notify`
 *   (notify.ts: ends per second with and without `--notify`, the ratio). These start
 *   their own servers on the runtimes named in `--only` (`bun`, `deno`; both by default).
 * - the anchors, long, by name (anchors.ts): `nchan` (SSE events per server CPU-s against nginx +
 *   nchan at 50 paced / 500 / 2,000 subscribers), `nchan-idle` (KiB per idle SSE subscriber
 *   against nchan), `websocketd` (`ringside run` + the hub against websocketd: lines/s and CPU
 *   per line to one WebSocket client). They install nginx's nchan module and websocketd with
 *   apt-get when missing, and compile their C load generator (`_loadgen.c`) with cc.
 *
 * Exits 1 when a transfer failed (error, truncation, hang); missed targets only print a flag.
 *
 * @module
 */

import {
  bareCounts,
  type BareTarget,
  type BenchSection,
  type Context,
  fmtMB,
  log,
  mb,
  type Options,
  pipeName,
  Results,
  rssNow,
  setRefLabel,
  type Target,
  targetLabel,
  targetNames,
  writeRandomFile,
} from "./bench/_context.ts";
import {
  benchCache,
  capture,
  checkoutRef,
  curlRateBytes,
  delay,
  ensurePipingServer,
  helloWorldRss,
  parseSize,
  pipingVersion,
  Proc,
  residentSplit,
  root,
  type Runtime,
  type Server,
  startBareRelay,
  startPipingServer,
  startRingside,
  stopAll,
  withTimeout,
} from "./bench/_harness.ts";
import { nchanIdleSection, nchanSection, websocketdSection } from "./bench/anchors.ts";
import { concurrencySection } from "./bench/concurrency.ts";
import { idleSection } from "./bench/idle.ts";
import { pageSection } from "./bench/page.ts";
import { reportMemory, throughputSection } from "./bench/relay.ts";
import { soakSection } from "./bench/soak.ts";
import { spectatorsSection } from "./bench/spectators.ts";
import {
  churnBenchSection,
  jobsBenchSection,
  notifyBenchSection,
  processesBenchSection,
} from "./bench/standalone.ts";
import { tarSection } from "./bench/tar.ts";

// ---------------------------------------------------------------------------------------------
// The sections, in the order they run and report

/** Every section: its name in `--only`, whether only `--long` runs it, and its factory. */
const catalog: { name: string; long: boolean; make: (options: Options) => BenchSection }[] = [
  { name: "throughput", long: false, make: throughputSection },
  { name: "spectators", long: false, make: spectatorsSection },
  { name: "tar", long: false, make: tarSection },
  { name: "page", long: false, make: pageSection },
  { name: "soak", long: true, make: soakSection },
  { name: "concurrency", long: true, make: concurrencySection },
  { name: "idle", long: true, make: idleSection },
  { name: "churn", long: true, make: churnBenchSection },
  { name: "jobs", long: true, make: jobsBenchSection },
  { name: "processes", long: true, make: processesBenchSection },
  { name: "notify", long: true, make: notifyBenchSection },
  { name: "nchan", long: true, make: nchanSection },
  { name: "nchan-idle", long: true, make: nchanIdleSection },
  { name: "websocketd", long: true, make: websocketdSection },
];

const sectionNames = catalog.map((s) => s.name);

// ---------------------------------------------------------------------------------------------
// Options

const aliases: Record<string, readonly string[]> = {
  counting: ["bare", "bare-pull", "bare-transform"],
  limits: ["bare", "bare-native"],
  ringside: ["bun", "deno"],
  raw: ["ceiling"],
  socat: ["ceiling"],
  "piping-server": ["piping"],
  cadence: ["tar"],
  fcp: ["page"],
};

const usage = `Usage: deno task bench [options]      (= deno run -A scripts/bench.ts)

  --size SIZE          bytes per transfer (default 1G; K/M/G = 10^3/10^6/10^9, Ki/Mi/Gi binary)
  --runs N             runs of each measurement; median and min–max are printed (default 3)
  --only LIST          comma-separated relays and/or sections to run:
                         relays: ceiling, piping, bare, bare-pull, bare-transform, bare-native,
                         bun, deno, bun-ref (needs --ringside-ref), ringside (= bun,deno),
                         counting (= bare, bare-pull, bare-transform), limits (= bare,
                         bare-native)
                         (bare: scripts/bench/_bare_relay.ts, one JS stream on Bun; -pull counts
                         in its pull, -transform in a separate counting TransformStream; -native is
                         Bun's own pass-through, new Response(request.body), no JS per chunk)
                         sections: throughput, spectators, tar (also: cadence), page (also: fcp);
                         long ones: soak, concurrency, idle, churn, jobs, processes, notify;
                         the anchors (scripts/bench/anchors.ts): nchan, nchan-idle (its count is
                         --idle-spectators), websocketd
                         (churn, jobs and processes start their own servers on the runtimes
                         named among the relays, bun and/or deno; both when none is)
                       Without a section, the default ones run (the long ones with --long).
  --quick              smoke run: --size 200M --runs 1 --tar-size 200M, 3 paints per page,
                       and the long sections (when asked for) scaled down
  --long               the long sections instead of the default ones
  --ringside-ref REV   also run ringside on Bun from git revision REV (relay bun-ref), e.g. to
                       compare a change against the code before it in the same run
  --tar-size SIZE      size of the directory tarred in the capped-receiver run (default 500M)
  --spectators LIST    spectator counts of the spectators section (default 0,50,500)
  --page-runs N        paints measured per page (default 10)
  --long-size SIZE     the soak's transfer (default 10G)
  --long-rate RATE     curl --limit-rate of the soak's receiver (default 10M)
  --concurrency LIST   simultaneous transfers (default 1,8,32)
  --concurrency-size SIZE   bytes per concurrent transfer (default 256M)
  --idle-receivers N   waiting receivers on distinct pipes (default 10000)
  --idle-spectators N  SSE spectators (default 10000) over --idle-pipes pipes (default 200)
  --anchor-seconds N   the nchan section's measured window per step (default 5; 1 s warm-up before)
  --anchor-interval D  ringside's --progress-interval in the nchan section (default 1ms; 0: every
                       publish is delivered as it comes, as nchan does)
  --ws-lines N         lines of the websocketd section (default 200000)
  --ws-rate N          lines/s of its paced producer (default 200000)
  --no-expect          senders pass -H "Expect:" (no 100-continue handshake): a diagnostic,
                       since a plain \`curl -T\` sends Expect: 100-continue above 1 MiB
  --help`;

const switchNames = ["quick", "long", "help", "no-expect"];
const valueNames = [
  "size",
  "runs",
  "only",
  "tar-size",
  "spectators",
  "long-size",
  "long-rate",
  "ringside-ref",
  "page-runs",
  "concurrency",
  "concurrency-size",
  "idle-receivers",
  "idle-spectators",
  "idle-pipes",
  "anchor-seconds",
  "anchor-interval",
  "ws-lines",
  "ws-rate",
];

function parseOptions(args: readonly string[]): Options {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new TypeError(`Unexpected argument '${arg}'\n\n${usage}`);
    const name = match[1]!;
    if (switchNames.includes(name)) {
      switches.add(name);
    } else if (!valueNames.includes(name)) {
      throw new TypeError(`Unknown option '--${name}'\n\n${usage}`);
    } else if (match[2] !== undefined) {
      values.set(name, match[2]);
    } else if (i + 1 < args.length) {
      values.set(name, args[++i]!);
    } else {
      throw new TypeError(`Missing value for --${name}`);
    }
  }
  if (switches.has("help")) {
    console.log(usage);
    Deno.exit(0);
  }
  const quick = switches.has("quick");
  const long = switches.has("long");
  const longRate = values.get("long-rate") ?? "10M";
  curlRateBytes(longRate);
  const ringsideRef = values.get("ringside-ref") ?? null;
  const { targets, sections } = parseOnly(values.get("only"), { long, ringsideRef });
  return {
    size: parseSize(values.get("size") ?? (quick ? "200M" : "1G")),
    runs: wholeNumber("runs", values.get("runs") ?? (quick ? "1" : "3"), 1),
    tarSize: parseSize(values.get("tar-size") ?? (quick ? "200M" : "500M")),
    targets,
    sections,
    spectatorCounts: numberList("spectators", values.get("spectators") ?? "0,50,500", 0),
    long,
    longSize: parseSize(values.get("long-size") ?? (quick ? "1G" : "10G")),
    longRate,
    noExpect: switches.has("no-expect"),
    quick,
    ringsideRef,
    concurrencySize: parseSize(values.get("concurrency-size") ?? (quick ? "32M" : "256M")),
    concurrencySteps: numberList("concurrency", values.get("concurrency") ?? "1,8,32", 1),
    idleReceivers: wholeNumber(
      "idle-receivers",
      values.get("idle-receivers") ?? (quick ? "500" : "10000"),
      1,
    ),
    idleSpectators: wholeNumber(
      "idle-spectators",
      values.get("idle-spectators") ?? (quick ? "500" : "10000"),
      1,
    ),
    idlePipes: wholeNumber("idle-pipes", values.get("idle-pipes") ?? (quick ? "10" : "200"), 1),
    pageRuns: wholeNumber("page-runs", values.get("page-runs") ?? (quick ? "3" : "10"), 1),
    anchorSeconds: wholeNumber(
      "anchor-seconds",
      values.get("anchor-seconds") ?? (quick ? "2" : "5"),
      1,
    ),
    anchorInterval: values.get("anchor-interval") ?? "1ms",
    wsLines: wholeNumber("ws-lines", values.get("ws-lines") ?? (quick ? "50000" : "200000"), 1),
    wsRate: wholeNumber("ws-rate", values.get("ws-rate") ?? "200000", 1),
  };
}

function wholeNumber(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new RangeError(`Invalid --${flag} '${text}'`);
  return value;
}

function numberList(flag: string, text: string, min: number): number[] {
  return text.split(",").map((n) => wholeNumber(flag, n.trim(), min));
}

function parseOnly(
  only: string | undefined,
  { long, ringsideRef }: { long: boolean; ringsideRef: string | null },
): { targets: Target[]; sections: string[] } {
  const picked = new Set<string>();
  for (const word of (only ?? "").split(",").map((w) => w.trim()).filter((w) => w !== "")) {
    for (const name of aliases[word] ?? [word]) {
      if (!(targetNames as readonly string[]).includes(name) && !sectionNames.includes(name)) {
        throw new TypeError(`Unknown --only item '${word}'`);
      }
      picked.add(name);
    }
  }
  if (picked.has("bun-ref") && ringsideRef === null) {
    throw new TypeError("--only bun-ref needs --ringside-ref REV");
  }
  const targets = targetNames.filter((t) => picked.has(t));
  const sections = sectionNames.filter((s) => picked.has(s));
  const longNames = catalog.filter((s) => s.long).map((s) => s.name);
  return {
    targets: targets.length > 0
      ? targets
      : targetNames.filter((t) => t !== "bun-ref" || ringsideRef !== null),
    sections: sections.length > 0
      ? sections
      : sectionNames.filter((s) => longNames.includes(s) === long),
  };
}

// ---------------------------------------------------------------------------------------------
// Servers

async function startServers(ctx: Context, sections: readonly BenchSection[]): Promise<void> {
  const ringsideFlags = [
    "--max-spectators",
    "1000",
    "--max-total-spectators",
    "100000",
    "--exit-on-stdin-close",
  ];
  const wanted = new Set(sections.flatMap((s) => s.targets));
  ctx.options.targets = ctx.options.targets.filter((t) =>
    wanted.has(t) || (t === "bun-ref" && wanted.has("bun"))
  );
  for (const target of ctx.options.targets) {
    if (target === "ceiling") continue;
    let server: Server;
    if (target === "piping") {
      server = await startPipingServer();
    } else if (target in bareCounts) {
      server = await startBareRelay(bareCounts[target as BareTarget], targetLabel(target));
    } else if (target === "bun-ref") {
      const { dir, label } = await checkoutRef(ctx.options.ringsideRef!);
      setRefLabel(label);
      server = await startRingside("bun", ringsideFlags, {
        checkout: dir,
        label: targetLabel(target),
      });
    } else {
      server = await startRingside(target as Runtime, ringsideFlags);
    }
    ctx.servers.set(target, server);
    log(`started ${server.label} at ${server.origin} (pid ${server.proc.pid})`);
    server.proc.status.then((status) => {
      if (ctx.stopping) return;
      const how = status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
      log(
        `\n!! ${server.label} (pid ${server.proc.pid}) exited on its own: ${how}\n${server.proc.tail()}`,
      );
    });
    await warmUp(ctx, server);
    // Memory the transfer just used is given back within a second (Bun: ~10 MB of it): read the
    // idle server, not the end of the transfer.
    await delay(1000);
    ctx.results.rssAround.set(server.label, { start: rssNow(server), end: 0 });
    ctx.results.rssAnonAfterWarmUp.set(server.label, residentSplit(server.proc.pid));
  }
}

/** One 32 MB transfer per server checked byte for byte (sha256), which also warms the JIT. */
async function warmUp(ctx: Context, server: Server): Promise<void> {
  const file = `${ctx.work}/warm.bin`;
  await Deno.stat(file).catch(() => writeRandomFile(file, 32 * mb));
  const expected = (await capture(["sha256sum", file]))?.split(" ")[0];
  const url = server.pipeUrl(pipeName("warm-up"));
  const receiver = Proc.spawn("warm-up receiver", [
    "sh",
    "-c",
    `curl -sS --fail "$1" | sha256sum`,
    "sh",
    url,
  ]);
  const sender = Proc.spawn("warm-up sender", ["curl", "-sS", "--fail", "-T", file, url]);
  try {
    await withTimeout(Promise.all([receiver.status, sender.status]), 60_000, "the warm-up");
  } finally {
    receiver.kill();
    sender.kill();
  }
  const hash = receiver.stdout.split(" ")[0];
  if (hash !== expected) {
    throw new Error(
      `${server.label}: the warm-up transfer is not byte-identical (sha256 ${hash}, ` +
        `expected ${expected})\n${receiver.tail()}\n${sender.tail()}`,
    );
  }
}

/** The sections that relay `--size` bytes from the data file. */
const transferSections = ["throughput", "spectators", "tar"];

async function machineLines(ctx: Context): Promise<string[]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU";
  const [nproc, deno, bun, node, curl, socat, rev, dirty] = await Promise.all([
    capture(["nproc"]),
    capture([`${root}node_modules/.bin/deno`, "--version"]),
    capture([`${root}node_modules/.bin/bun`, "--version"]),
    capture(["node", "--version"]),
    capture(["curl", "--version"]),
    capture(["socat", "-V"]),
    capture(["git", "-C", root, "log", "-1", "--format=%h %cs", "--", "main.ts", "src"]),
    capture(["git", "-C", root, "status", "--porcelain", "--", "main.ts", "src"]),
  ]);
  const socatVersion = /socat version (\S+)/.exec(socat ?? "")?.[1] ?? "missing";
  const memory = Deno.systemMemoryInfo().total / 2 ** 30;
  return [
    `machine: ${cpu}, nproc ${nproc}, ${memory.toFixed(1)} GiB RAM, Linux ${Deno.osRelease()}`,
    `versions: ringside ${rev ?? "?"}${dirty ? " (+uncommitted changes)" : ""}, ` +
    `bun ${bun ?? "?"}, ${deno?.split(" ").slice(0, 2).join(" ") ?? "deno ?"}, ` +
    `piping-server ${pipingVersion} on node ${node ?? "?"}, ` +
    `${curl?.split(" ").slice(0, 2).join(" ") ?? "curl ?"}, socat ${socatVersion}`,
    !ctx.options.sections.some((s) => transferSections.includes(s) || s === "soak")
      ? `bench: ${ctx.options.runs} run(s); MB = 10^6 bytes`
      : ctx.options.sections.includes("soak")
      ? `bench: soak, FILE (64 MB random) repeated | curl -T - (chunked), receiver ` +
        `curl --limit-rate ${ctx.options.longRate} -o /dev/null; MB = 10^6 bytes`
      : `bench: ${ctx.options.runs} run(s), ${fmtMB(ctx.options.size)} of random bytes per ` +
        `transfer from a file in ${ctx.work.split("/").slice(0, -1).join("/")} (page cache); ` +
        `receiver curl -o /dev/null; MB = 10^6 bytes`,
    ...(ctx.options.noExpect ? ["--no-expect: senders send no Expect: 100-continue"] : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// Report and main

async function printReport(ctx: Context, sections: readonly BenchSection[]): Promise<void> {
  const blocks: string[][] = [await machineLines(ctx)];
  for (const section of sections) blocks.push(...section.report(ctx));
  const transfers = ["throughput", "spectators", "tar"];
  if (sections.some((s) => transfers.includes(s.name))) blocks.push(reportMemory(ctx));
  const errors = ctx.results.errors();
  if (errors.length > 0) blocks.push(["FAILURES", ...errors.map((e) => `  ${e}`)]);
  console.log(`\nringside benchmark, ${new Date().toISOString()}\n`);
  console.log(blocks.filter((b) => b.length > 0).map((b) => b.join("\n")).join("\n\n"));
}

async function bench(ctx: Context, sections: readonly BenchSection[]): Promise<void> {
  const { options } = ctx;
  if (options.targets.includes("ceiling") && (await capture(["socat", "-V"])) === undefined) {
    log("socat is missing (apt-get install -y socat): skipping the raw ceiling");
    options.targets = options.targets.filter((t) => t !== "ceiling");
  }
  if (options.targets.includes("piping")) {
    log(`installing piping-server ${pipingVersion} into ${benchCache} if needed`);
    await ensurePipingServer();
  }
  if (
    sections.some((s) => s.name === "throughput" || s.name === "spectators" || s.name === "tar")
  ) {
    log(`writing ${(options.size / 1e6).toFixed(0)} MB of random bytes to ${ctx.dataFile}`);
    await writeRandomFile(ctx.dataFile, options.size);
  }
  await startServers(ctx, sections);
  if ([...ctx.servers.keys()].some((t) => t === "bun" || t === "bun-ref")) {
    const hello = await helloWorldRss();
    ctx.results.helloRss = hello.rss;
    ctx.results.rssAnonAfterWarmUp.set("Bun.serve hello world", hello);
    log(`Bun.serve hello world: ${fmtMB(ctx.results.helloRss)} RSS after 100 requests`);
  }
  for (const section of sections) await section.run(ctx);
  for (const server of ctx.servers.values()) {
    const around = ctx.results.rssAround.get(server.label);
    if (around) around.end = rssNow(server);
  }
}

async function main(): Promise<number> {
  const options = parseOptions(Deno.args);
  const work = await Deno.makeTempDir({ prefix: "ringside-bench-" });
  const ctx: Context = {
    options,
    work,
    dataFile: `${work}/data.bin`,
    servers: new Map(),
    results: new Results(),
    stopping: false,
  };
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    cleaned ??= (async () => {
      ctx.stopping = true;
      stopAll();
      await Promise.all([...ctx.servers.values()].map((s) => s.proc.status));
      await Deno.remove(work, { recursive: true }).catch(() => {});
    })();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      log(`\n${signal}: stopping every process the bench started`);
      cleanup().finally(() => Deno.exit(130));
    });
  }
  const sections = catalog.filter((s) => options.sections.includes(s.name)).map((s) =>
    s.make(options)
  );
  try {
    await bench(ctx, sections);
    await printReport(ctx, sections);
    return ctx.results.failed ? 1 : 0;
  } finally {
    await cleanup();
  }
}

if (import.meta.main) {
  main().then(
    (code) => Deno.exit(code),
    (error: unknown) => {
      stopAll();
      console.error(error instanceof Error ? error.message : error);
      Deno.exit(1);
    },
  );
}
