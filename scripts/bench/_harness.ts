/**
 * Plumbing shared by `scripts/bench.ts` and its sections in `scripts/bench/`: child processes, the servers under test, one timed transfer,
 * SSE spectators, RSS sampling and small statistics. Nothing here prints.
 *
 * Every child runs in its own process group (`setsid`), so stopping one stops its whole
 * pipeline (`cat | curl`, `tar | curl`), and {@linkcode stopAll} stops everything the bench
 * started, on success, on error and on Ctrl-C.
 *
 * @module
 */

/** The repository root, with a trailing slash. */
export const root: string = new URL("../../", import.meta.url).pathname;

/** Where `npm install --prefix` puts piping-server (gitignored). */
export const benchCache: string = `${root}.bench`;

/** The piping-server release the bench compares against. */
export const pipingVersion = "1.12.9";

// ---------------------------------------------------------------------------------------------
// Child processes

const running = new Set<Proc>();

/** Options for {@linkcode Proc.spawn}. */
export interface SpawnOptions {
  /** `piped` keeps the child's stdin open (servers exit when it closes). @default "null" */
  stdin?: "null" | "piped";
  /** Working directory. @default the repository root */
  cwd?: string;
  /** How much of stdout and of stderr is kept (the end), in bytes. @default 64 KiB */
  keep?: number;
}

/** A child process in its own process group, the end of its stdout and stderr kept. */
export class Proc {
  /** Process id, which is also the process group id. */
  readonly pid: number;
  /** What the bench calls it in messages. */
  readonly name: string;
  /** Resolves when the child has exited and its output is drained. */
  readonly status: Promise<Deno.CommandStatus>;
  #stdout = "";
  #stderr = "";
  #listeners = new Set<() => void>();
  #exited = false;
  #keep: number;

  private constructor(name: string, child: Deno.ChildProcess, keep: number) {
    this.name = name;
    this.#keep = keep;
    this.pid = child.pid;
    const drained = Promise.all([
      this.#drain(child.stdout, "stdout"),
      this.#drain(child.stderr, "stderr"),
    ]);
    this.status = child.status.then(async (status) => {
      await drained;
      this.#exited = true;
      running.delete(this);
      this.#notify();
      return status;
    });
  }

  /** Starts `argv` under `setsid` and registers it for {@linkcode stopAll}. */
  static spawn(name: string, argv: readonly string[], options: SpawnOptions = {}): Proc {
    const child = new Deno.Command("setsid", {
      args: [...argv],
      cwd: options.cwd ?? root,
      stdin: options.stdin ?? "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const proc = new Proc(name, child, options.keep ?? 64 * 1024);
    running.add(proc);
    return proc;
  }

  /** The end of what the child wrote to stdout. */
  get stdout(): string {
    return this.#stdout;
  }

  /** The end of what the child wrote to stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Whether the child has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** SIGKILLs the process group; safe to call twice or after the child exited. */
  kill(): void {
    try {
      Deno.kill(-this.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }

  /** Kills the child and waits until it is gone. */
  async stop(): Promise<void> {
    this.kill();
    await this.status;
  }

  /** Resolves with the first match of `pattern` in stdout or stderr; rejects if the child exits. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return withTimeout(
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(this.#stdout) ?? pattern.exec(this.#stderr);
          if (match) {
            this.#listeners.delete(check);
            resolve(match);
          } else if (this.#exited) {
            this.#listeners.delete(check);
            reject(new Error(`${this.name} exited before printing ${pattern}:\n${this.tail()}`));
          }
        };
        this.#listeners.add(check);
        check();
      }),
      timeoutMs,
      `${this.name} to print ${pattern}`,
    );
  }

  /** The end of stdout and stderr, for error messages. */
  tail(chars = 2000): string {
    const text = [this.#stdout.trim(), this.#stderr.trim()].filter((s) => s !== "").join("\n");
    return text.length > chars ? `…${text.slice(-chars)}` : text;
  }

  async #drain(stream: ReadableStream<Uint8Array>, which: "stdout" | "stderr"): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      if (which === "stdout") this.#stdout = (this.#stdout + text).slice(-this.#keep);
      else this.#stderr = (this.#stderr + text).slice(-this.#keep);
      this.#notify();
    }
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** SIGKILLs every process group the bench started that is still running. */
export function stopAll(): void {
  for (const proc of running) proc.kill();
}

/**
 * Runs a bench section as a script of its own (`deno run -A scripts/bench/jobs.ts`): Ctrl-C
 * stops every child the bench started and exits 130; the end of `main`, on success or on error,
 * stops them too.
 */
export async function runStandalone(main: () => Promise<void>): Promise<void> {
  Deno.addSignalListener("SIGINT", () => {
    stopAll();
    Deno.exit(130);
  });
  try {
    await main();
  } finally {
    stopAll();
  }
}

/** The word after `--NAME` on a standalone script's command line, if it is there. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

/**
 * The flags of a standalone script that measures runtimes in runs (`jobs.ts`, `notify.ts`):
 * `--runtimes bun,deno`, `--seconds 5`, `--runs 3` (those are the defaults).
 */
export function runFlags(
  args: readonly string[],
): { runtimes: Runtime[]; seconds: number; runs: number } {
  return {
    runtimes: (flagValue(args, "runtimes") ?? "bun,deno").split(",") as Runtime[],
    seconds: Number(flagValue(args, "seconds") ?? 5),
    runs: Number(flagValue(args, "runs") ?? 3),
  };
}

/** Runs a command to completion and returns its trimmed stdout, or `undefined` if it fails. */
export async function capture(argv: readonly string[]): Promise<string | undefined> {
  const [command, ...args] = argv;
  if (command === undefined) return undefined;
  try {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) return undefined;
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return undefined;
  }
}

/** Rejects with `waiting for ${what} timed out` when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Waiting for ${what} timed out after ${seconds(ms)}`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

// ---------------------------------------------------------------------------------------------
// Ports

/** A port on 127.0.0.1 that was free a moment ago (for servers that cannot take port 0). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Whether something listens on 127.0.0.1:`port` (read from `/proc/net/tcp`, no connection). */
export function isListening(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const lines = Deno.readTextFileSync("/proc/net/tcp").split("\n").slice(1);
  return lines.some((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[1] === `0100007F:${hexPort}` && fields[3] === "0A";
  });
}

/** Waits until {@linkcode isListening} is true. */
export async function waitListening(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!isListening(port)) {
    if (performance.now() > deadline) throw new Error(`Nothing listens on port ${port}`);
    await delay(2);
  }
}

// ---------------------------------------------------------------------------------------------
// Servers under test

/** A relay server the bench started. */
export interface Server {
  /** `piping-server`, `ringside (bun)`, … */
  readonly label: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** The server process (its RSS is sampled). */
  readonly proc: Proc;
  /** The receiver and sender URL of pipe `name`. */
  pipeUrl(name: string): string;
}

/** The runtimes ringside runs on. */
export type Runtime = "bun" | "deno";

/**
 * The bench runs `main.ts` through this one-line wrapper (`import "../main.ts"`), so that the
 * server's command line does not contain `main.ts`: a developer's `pkill -f "main.ts serve"`
 * on the same machine (seen while this bench was written) cannot take a run down half-way.
 * The code that runs is exactly `main.ts`.
 */
export const ringsideEntry = `${benchCache}/ringside_server.ts`;

/** The command line of `ringside serve` on `runtime`, listening on 127.0.0.1 port 0. */
export function ringsideArgv(runtime: Runtime, flags: readonly string[]): string[] {
  const prefix = runtime === "bun"
    ? [`${root}node_modules/.bin/bun`, ringsideEntry]
    : [`${root}node_modules/.bin/deno`, "run", "-A", ringsideEntry];
  return [...prefix, "serve", "--host", "127.0.0.1", "--port", "0", ...flags];
}

/** Options for {@linkcode startRingside}. */
export interface StartRingsideOptions {
  /** Run this checkout's `main.ts` instead of the working tree's (see {@linkcode checkoutRef}). */
  checkout?: string;
  /** @default `ringside (RUNTIME)` */
  label?: string;
  /** Raise the server's open-file limit (`ulimit -n`, up to the hard limit) before it starts. */
  openFiles?: number;
}

/** Starts ringside and waits for its `listening on http://HOST:PORT` line. */
export async function startRingside(
  runtime: Runtime,
  flags: readonly string[],
  options: StartRingsideOptions = {},
): Promise<Server> {
  await Deno.mkdir(benchCache, { recursive: true });
  let entry = ringsideEntry;
  if (options.checkout) {
    entry = `${benchCache}/ringside_server_${options.checkout.split("/").pop()}.ts`;
    await Deno.writeTextFile(entry, `import "${options.checkout}/main.ts";\n`);
  } else {
    await Deno.writeTextFile(ringsideEntry, `import "../main.ts";\n`);
  }
  const label = options.label ?? `ringside (${runtime})`;
  let argv = ringsideArgv(runtime, flags);
  argv[argv.indexOf(ringsideEntry)] = entry;
  if (options.openFiles !== undefined) {
    argv = [
      "sh",
      "-c",
      `ulimit -n "$1" && shift && exec "$@"`,
      "sh",
      String(options.openFiles),
      ...argv,
    ];
  }
  const proc = Proc.spawn(label, argv, { stdin: "piped" });
  const match = await proc.waitForOutput(/listening on (http:\/\/\S+)/, 60_000);
  const origin = match[1]!;
  // Under `sh -c … exec`, the server keeps the shell's pid: the probes watch the server itself.
  return { label, origin, proc, pipeUrl: (name) => `${origin}/api/v1/pipe/${name}` };
}

/**
 * Extracts `main.ts` and `src/` of git revision `ref` into `.bench/ref-SHA/` (once), with the
 * repository's `node_modules` linked beside them, so that an older ringside can run in the same
 * bench run as the working tree (`--ringside-ref`). Returns the folder and a short label.
 */
export async function checkoutRef(ref: string): Promise<{ dir: string; label: string }> {
  const sha = await capture(["git", "-C", root, "rev-parse", "--verify", `${ref}^{commit}`]);
  if (!sha) throw new Error(`Unknown git revision '${ref}'`);
  const short = sha.slice(0, 8);
  const dir = `${benchCache}/ref-${short}`;
  const label = `${short} (${ref})`;
  try {
    await Deno.stat(`${dir}/main.ts`);
    return { dir, label };
  } catch {
    // not extracted yet
  }
  await Deno.mkdir(dir, { recursive: true });
  const out = await new Deno.Command("sh", {
    args: ["-c", `git -C "$1" archive "$2" main.ts src | tar -x -C "$3"`, "sh", root, sha, dir],
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`git archive ${ref} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  await Deno.symlink(`${root}node_modules`, `${dir}/node_modules`).catch(() => {});
  return { dir, label };
}

/** The hard limit on open files of this process's children (`ulimit -Hn`). */
export async function openFilesHardLimit(): Promise<number> {
  return Number(await capture(["sh", "-c", "ulimit -Hn"])) || 1024;
}

/** Where {@linkcode startBareRelay}'s relay counts bytes (`scripts/_bare_relay.ts --count`). */
export type BareCount = "none" | "pull" | "transform" | "native";

/**
 * Starts `scripts/_bare_relay.ts` on Bun: the thinnest relay through one JavaScript stream, a
 * reference for what ringside's own logic costs on top of Bun's stream path, with the byte count
 * taken nowhere, in the pull, or in a separate counting `TransformStream` stage.
 */
export async function startBareRelay(count: BareCount, label: string): Promise<Server> {
  const argv = [
    `${root}node_modules/.bin/bun`,
    `${root}scripts/bench/_bare_relay.ts`,
    "--count",
    count,
  ];
  const proc = Proc.spawn(label, argv);
  const match = await proc.waitForOutput(/listening on (http:\/\/[^\s]+)/, 60_000);
  const origin = match[1]!;
  return { label, origin, proc, pipeUrl: (name) => `${origin}/${name}` };
}

/**
 * The resident memory of a bare `Bun.serve` hello world (`scripts/bench/_hello.ts`) after it
 * answered `requests` requests: the floor under any Bun server's idle RSS. Starts it, asks,
 * reads `VmRSS`, stops it.
 */
export async function helloWorldRss(
  requests = 100,
): Promise<{ rss: number; anon: number; file: number }> {
  const argv = [`${root}node_modules/.bin/bun`, `${root}scripts/bench/_hello.ts`];
  const proc = Proc.spawn("Bun.serve hello world", argv);
  try {
    const match = await proc.waitForOutput(/listening on (http:\/\/[^\s]+)/, 60_000);
    for (let i = 0; i < requests; i++) await (await fetch(match[1]!)).text();
    await delay(1000);
    return { rss: residentBytes(proc.pid), ...residentSplit(proc.pid) };
  } finally {
    await proc.stop();
  }
}

/** The path of piping-server's entry point inside the bench cache. */
export const pipingEntry = `${benchCache}/node_modules/piping-server/dist/src/index.js`;

/** Installs piping-server into `.bench/` with npm unless the pinned version is there. */
export async function ensurePipingServer(): Promise<void> {
  const manifest = `${benchCache}/node_modules/piping-server/package.json`;
  try {
    const { version } = JSON.parse(await Deno.readTextFile(manifest)) as { version?: string };
    if (version === pipingVersion) return;
  } catch {
    // not installed yet
  }
  const out = await new Deno.Command("npm", {
    args: [
      "install",
      "--prefix",
      benchCache,
      "--no-audit",
      "--no-fund",
      `piping-server@${pipingVersion}`,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`npm install piping-server failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Starts piping-server on Node (it has no port 0: a free port is picked first). */
export async function startPipingServer(): Promise<Server> {
  const port = freePort();
  const argv = ["node", pipingEntry, "--host", "127.0.0.1", "--http-port", String(port)];
  const proc = Proc.spawn("piping-server", argv);
  await proc.waitForOutput(/Listen HTTP on/, 30_000);
  await waitListening(port, 5_000);
  const origin = `http://127.0.0.1:${port}`;
  return { label: "piping-server", origin, proc, pipeUrl: (name) => `${origin}/${name}` };
}

// ---------------------------------------------------------------------------------------------
// One timed transfer

/** What the sender uploads, and how. */
export type Upload =
  /** `curl -T FILE`: `Content-Length` known. */
  | { kind: "length"; file: string }
  /** `cat FILE | curl -T -`: chunked. */
  | { kind: "chunked"; file: string }
  /** `tar -cf - -C DIR . | curl -T -`: chunked, tar reading the disk (page cache). */
  | { kind: "tar"; dir: string }
  /** FILE repeated and cut at `bytes`, piped to `curl -T -`: chunked, any size. */
  | { kind: "generated"; file: string; bytes: number };

/** Options for {@linkcode transfer}. */
export interface TransferOptions {
  /** The pipe URL (sender and receiver alike). */
  url: string;
  upload: Upload;
  /** The receiver must get exactly this many bytes. */
  expectedBytes: number;
  /** `curl --limit-rate` of the receiver, e.g. `50M`. */
  limitRate?: string;
  /** Kill both sides and fail after this long. */
  timeoutMs: number;
  /** Add `-H "Expect:"` to the sender: no `Expect: 100-continue` handshake (a diagnostic). */
  noExpect?: boolean;
}

/** A completed transfer. */
export interface TransferResult {
  /** From spawning both sides to the receiver's exit. */
  seconds: number;
  bytes: number;
  /** 10^6 bytes per second. */
  mbps: number;
}

/** Sends `upload` through a relay with curl on both sides and times it at the receiver. */
export async function transfer(options: TransferOptions): Promise<TransferResult> {
  const receiverArgv = [
    "curl",
    "-sS",
    "--fail",
    "-o",
    "/dev/null",
    "-w",
    "%{size_download}",
    ...(options.limitRate === undefined ? [] : ["--limit-rate", options.limitRate]),
    options.url,
  ];
  const started = performance.now();
  const receiver = Proc.spawn("receiver curl", receiverArgv);
  const sender = Proc.spawn("sender", senderArgv(options.upload, options.url, options.noExpect));
  return await finishTransfer({ started, receiver, sender, options });
}

function senderArgv(upload: Upload, url: string, noExpect = false): string[] {
  const flags = noExpect ? `-H "Expect:" ` : "";
  const curl = (urlArg: string) => `exec curl -sS --fail ${flags}-T - "${urlArg}"`;
  switch (upload.kind) {
    case "length":
      return [
        "curl",
        "-sS",
        "--fail",
        ...(noExpect ? ["-H", "Expect:"] : []),
        "-T",
        upload.file,
        url,
      ];
    case "chunked":
      return ["sh", "-c", `cat -- "$1" | ${curl("$2")}`, "sh", upload.file, url];
    case "tar":
      return ["sh", "-c", `tar -cf - -C "$1" . | ${curl("$2")}`, "sh", upload.dir, url];
    case "generated": {
      // `while cat` stops when `head` has enough and `cat` dies of SIGPIPE.
      const script = `while cat -- "$1"; do :; done | head -c "$2" | ${curl("$3")}`;
      return ["sh", "-c", script, "sh", upload.file, String(upload.bytes), url];
    }
  }
}

interface Running {
  started: number;
  receiver: Proc;
  sender: Proc;
  options: Pick<TransferOptions, "expectedBytes" | "timeoutMs">;
  relay?: Proc;
}

async function finishTransfer(run: Running): Promise<TransferResult> {
  const { receiver, sender, relay, options } = run;
  const all = [receiver, sender, ...(relay ? [relay] : [])];
  try {
    const received = await withTimeout(receiver.status, options.timeoutMs, "the receiver");
    const seconds = (performance.now() - run.started) / 1000;
    const sent = await withTimeout(sender.status, 15_000, "the sender after the receiver");
    const bytes = Number(receiver.stdout.trim());
    const problems = [
      received.success ? "" : `receiver curl exited with ${describe(received)}`,
      sent.success ? "" : `sender exited with ${describe(sent)}`,
      bytes === options.expectedBytes
        ? ""
        : `receiver got ${bytes} bytes, expected ${options.expectedBytes}`,
    ].filter((p) => p !== "");
    if (problems.length > 0) throw new Error(problems.join("; "));
    return { seconds, bytes, mbps: bytes / seconds / 1e6 };
  } catch (error) {
    for (const proc of all) proc.kill();
    await Promise.all(all.map((proc) => proc.status));
    const tails = all.map((proc) => `  ${proc.name}: ${proc.tail(600) || "(no output)"}`);
    throw new Error(`${(error as Error).message}\n${tails.join("\n")}`);
  }
}

function describe(status: Deno.CommandStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

/**
 * The raw ceiling: the same bytes through a plain TCP relay (socat copying between two accepted
 * sockets, no HTTP parsing), sent by socat from the file or from a `cat` pipe, received by
 * `curl --http0.9` (raw body until close). Needs `socat` on PATH.
 */
export async function rawTransfer(
  upload: Upload & { kind: "length" | "chunked" },
  options: Pick<TransferOptions, "expectedBytes" | "timeoutMs">,
): Promise<TransferResult> {
  const [receiverPort, senderPort] = [freePort(), freePort()];
  const buffer = "131072";
  const listen = (port: number) => `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`;
  const relay = Proc.spawn("socat relay", [
    "socat",
    "-b",
    buffer,
    listen(receiverPort),
    listen(senderPort),
  ]);
  await waitListening(receiverPort, 5_000);
  const target = `TCP:127.0.0.1:${senderPort},retry=5000,interval=0.001`;
  const started = performance.now();
  const receiver = Proc.spawn("receiver curl", [
    "curl",
    "-sS",
    "--http0.9",
    "-o",
    "/dev/null",
    "-w",
    "%{size_download}",
    `http://127.0.0.1:${receiverPort}/`,
  ]);
  const source = upload.kind === "length" ? `< "$1"` : "";
  const pipe = upload.kind === "chunked" ? `cat -- "$1" | ` : "";
  const sender = Proc.spawn("socat sender", [
    "sh",
    "-c",
    `${pipe}exec socat -b ${buffer} - "$2" ${source} > /dev/null`,
    "sh",
    upload.file,
    target,
  ]);
  try {
    return await finishTransfer({ started, receiver, sender, relay, options });
  } finally {
    await relay.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Spectators

/** What one SSE spectator saw. */
export interface SpectatorReport {
  /** Events by type (`state`, `progress`, `done`, …). */
  events: Record<string, number>;
  /** `performance.now()` at the arrival of each `progress` event. */
  progressTimes: number[];
  /** The `mbps` of each `progress` event. */
  progressMbps: number[];
  /** The `data` of the last event. */
  lastData: string | undefined;
  /** Why the stream failed (HTTP status, network error), if it did. */
  error: string | undefined;
}

/**
 * One `GET …?progress` SSE reader in this process: it reads every byte as it arrives and parses
 * the events, like `curl -N` piped into a script would. {@linkcode Spectator.ready} resolves on
 * the first event; {@linkcode Spectator.finished} when the server closes the stream (after
 * `done` or `error`), when it fails, or after {@linkcode Spectator.close}.
 */
export class Spectator {
  /** Resolves on the first event (the `state` sent on connect); rejects if the request fails. */
  readonly ready: Promise<void>;
  /** Resolves with the report when the stream is over (never rejects). */
  readonly finished: Promise<SpectatorReport>;
  #abort = new AbortController();
  #report: SpectatorReport = {
    events: {},
    progressTimes: [],
    progressMbps: [],
    lastData: undefined,
    error: undefined,
  };
  #onFirstEvent: () => void;

  constructor(url: string) {
    const ready = Promise.withResolvers<void>();
    this.ready = ready.promise;
    this.ready.catch(() => {});
    this.#onFirstEvent = ready.resolve;
    this.finished = this.#read(url)
      .catch((error: unknown) => {
        if (!this.#abort.signal.aborted) this.#report.error = String(error);
      })
      .then(() => {
        // A no-op when an event came first.
        ready.reject(new Error(this.#report.error ?? "Stream closed before any event"));
        return this.#report;
      });
  }

  /** The report so far. */
  get report(): SpectatorReport {
    return this.#report;
  }

  /** Aborts the request; safe to call twice. */
  close(): void {
    this.#abort.abort();
  }

  async #read(url: string): Promise<void> {
    const res = await fetch(url, {
      headers: { accept: "text/event-stream" },
      signal: this.#abort.signal,
    });
    if (!res.ok || !res.body) {
      const text = (await res.text()).trim().slice(0, 200);
      throw new Error(`HTTP ${res.status} ${text}`);
    }
    let buffered = "";
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      const text = decoder.decode(chunk, { stream: true });
      const now = performance.now();
      buffered += text.includes("\r") ? text.replaceAll("\r\n", "\n") : text;
      let end: number;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        this.#onBlock(buffered.slice(0, end), now);
        buffered = buffered.slice(end + 2);
      }
    }
  }

  #onBlock(block: string, now: number): void {
    let type = "";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) type = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length === 0 && type === "") return; // comment or `retry:` only
    type ||= "message";
    const events = this.#report.events;
    events[type] = (events[type] ?? 0) + 1;
    this.#report.lastData = data.join("\n");
    if (type === "progress") {
      this.#report.progressTimes.push(now);
      const { mbps } = JSON.parse(this.#report.lastData) as { mbps?: unknown };
      if (typeof mbps === "number") this.#report.progressMbps.push(mbps);
    }
    this.#onFirstEvent();
  }
}

// ---------------------------------------------------------------------------------------------
// Memory

/** What {@linkcode ProcessProbe.stop} measured. */
export interface ProbeReading {
  /** The highest resident set, in bytes. */
  peakRss: number;
  /** CPU time (user + system, all threads) used while probing, in seconds. */
  cpuSeconds: number;
}

/**
 * Watches one process while a transfer runs: its resident set (`VmRSS`) every `intervalMs`,
 * its kernel high-water mark (`VmHWM`, reset at start through `/proc/PID/clear_refs` when
 * allowed, so the peak between two samples counts too) and its CPU time. All threads of a
 * process share one PID, so Bun's and Deno's helper threads are included.
 */
export class ProcessProbe {
  #pid: number;
  #peak = 0;
  #cpuAtStart: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #hwmReset = false;

  constructor(pid: number, intervalMs = 50) {
    this.#pid = pid;
    try {
      Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
      this.#hwmReset = true;
    } catch {
      // not allowed: sampling only
    }
    this.#cpuAtStart = cpuSeconds(pid);
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  /** The current resident set in bytes, or 0 if the process is gone. */
  current(): number {
    return residentBytes(this.#pid);
  }

  /** The highest resident set seen so far, in bytes. */
  peak(): number {
    this.#sample();
    const hwm = this.#hwmReset ? readStatusBytes(this.#pid, "VmHWM") ?? 0 : 0;
    return Math.max(this.#peak, hwm);
  }

  /** Stops sampling (safe to call twice) and returns the peak RSS and the CPU time used. */
  stop(): ProbeReading {
    const reading = { peakRss: this.peak(), cpuSeconds: cpuSeconds(this.#pid) - this.#cpuAtStart };
    clearInterval(this.#timer);
    return reading;
  }

  #sample(): void {
    this.#peak = Math.max(this.#peak, this.current());
  }
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  clockTicks ??= Number(
    new TextDecoder().decode(
      new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync().stdout,
    ),
  ) || 100;
  return clockTicks;
}

/** CPU time (user + system, all threads) of process `pid` so far, in seconds; 0 if gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // After "(comm) ": state is field 3, utime field 14, stime field 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/**
 * The resident set split: `RssAnon` (the process's own memory) and `RssFile` (pages of its
 * executable and libraries, shared with other processes and reclaimable), in bytes.
 */
export function residentSplit(pid: number): { anon: number; file: number } {
  return {
    anon: readStatusBytes(pid, "RssAnon") ?? 0,
    file: readStatusBytes(pid, "RssFile") ?? 0,
  };
}

/** The resident set (`VmRSS`) of process `pid` in bytes, or 0 if it is gone. */
export function residentBytes(pid: number): number {
  return readStatusBytes(pid, "VmRSS") ?? 0;
}

function readStatusBytes(pid: number, field: string): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The `p`th percentile with linear interpolation between closest ranks (NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** Parses `1G`, `200M`, `512Ki`, `10000` into bytes (K/M/G/T are powers of 1000, Ki/Mi/Gi/Ti of 1024). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?)?B?$/i.exec(text.trim());
  if (!match) throw new RangeError(`Invalid size '${text}'`);
  const unit = (match[2] ?? "").toUpperCase();
  const power = " KMGT".indexOf(unit.charAt(0) || " ");
  const base = unit.endsWith("I") ? 1024 : 1000;
  return Math.round(Number(match[1]) * base ** power);
}

/** Bytes per second of a `curl --limit-rate` value (curl's K/M/G are powers of 1024). */
export function curlRateBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG])?$/i.exec(text.trim());
  if (!match) throw new RangeError(`Invalid rate '${text}'`);
  const power = " KMG".indexOf((match[2] ?? " ").toUpperCase());
  return Number(match[1]) * 1024 ** power;
}
