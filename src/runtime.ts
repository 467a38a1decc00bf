// The one place that touches Deno.* and Bun.*: serving, WebSockets, signals, standard input and
// output, child processes, exit.

import type { Context } from "hono";
import type { WSContext } from "hono/ws";
import type { WebSocketSupport } from "./http/hub_routes.ts";
import { defaultConfig, formatFlagDuration } from "./config.ts";
import { MAX_FRAME_BYTES } from "./hub/hub_client.ts";

/** Bun (uWebSockets) counts WebSocket idle time in ticks of 4 s; it closes after 8 s at the least. */
const BUN_IDLE_STEP_SECONDS = 4;
const BUN_IDLE_MIN_SECONDS = 8;
/** Bun refuses a bigger `idleTimeout`. */
const BUN_IDLE_MAX_SECONDS = 960;
/** A day: Deno times the ping and then the close with `setTimeout` (which overflows at ~24.8 days). */
const DENO_IDLE_MAX_MS = 24 * 3_600_000;

/** A listening server. */
export interface Server {
  readonly hostname: string;
  readonly port: number;
  /** Stops listening and resolves when the running requests have finished. */
  stop(): Promise<void>;
}

/**
 * `serve` could not listen: the address is in use, not on this machine, or not allowed. The
 * message is one line: `cannot listen on 127.0.0.1:8080: address in use`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ListenError } from "./runtime.ts";
 * const inUse = Object.assign(new Error("Address already in use"), { code: "EADDRINUSE" });
 * assert.equal(
 *   new ListenError("127.0.0.1", 8080, inUse).message,
 *   "cannot listen on 127.0.0.1:8080: address in use",
 * );
 * assert.equal(
 *   new ListenError("::1", 80, new Error("Nope (os error 9)\nat …")).message,
 *   "cannot listen on [::1]:80: Nope",
 * );
 * ```
 */
export class ListenError extends Error {
  constructor(hostname: string, port: number, cause: unknown) {
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    super(`cannot listen on ${host}:${port}: ${listenProblem(cause)}`, { cause });
    this.name = "ListenError";
  }
}

/** What the OS said, in a few words: the code where both runtimes agree on one. */
function listenProblem(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  switch (code) {
    case "EADDRINUSE":
      return "address in use";
    case "EADDRNOTAVAIL":
      return "address not available on this machine";
    case "EACCES":
      return "permission denied";
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split("\n")[0]!.replace(/\s*\(os error \d+\)$/, "");
}

/** Options for {@linkcode Runtime.serve}. */
export interface ServeOptions {
  hostname: string;
  /** 0: a free one. */
  port: number;
  /**
   * Milliseconds a hub WebSocket (upgraded through {@linkcode Runtime.webSocket}) may answer
   * nothing, not even a ping, before the runtime closes it; it pings before that.
   * @default 60000
   */
  hubIdle?: number;
}

/** A signal ringside sends to a child. */
export type Signal = "SIGTERM" | "SIGINT" | "SIGKILL" | "SIGHUP";

/** A terminal's window size, in characters. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

/** Options for {@linkcode Runtime.spawn}. */
export interface SpawnOptions {
  args?: string[];
  /** The child's whole environment. @default this process's environment */
  env?: Record<string, string>;
  /** @default "null" */
  stdin?: "inherit" | "null";
  /**
   * Starts the child on a pseudo-terminal of its own, of this size, instead of pipes (only where
   * {@linkcode Runtime.canSpawnTerminal}): its stdin, stdout and stderr are that terminal, so it
   * behaves as it would in one (colours, progress bars). `stdout` then carries all that the
   * terminal shows (stderr too, lines ending in `\r\n`), `stderr` is empty and `stdin` is
   * ignored: type into it with {@linkcode ChildProcess.terminal}. @default pipes
   */
  terminal?: TerminalSize;
  cwd?: string;
  /**
   * The child leads a process group of its own, and `kill()` signals that whole group: what
   * the child started gets the signal too. @default false (the child is in ringside's group)
   */
  group?: boolean;
}

/** How a child ended: its exit code, or the signal (`SIGTERM`…) that killed it. */
export interface ChildStatus {
  code: number | null;
  signal: string | null;
}

/** The pseudo-terminal a child was started on. */
export interface ChildTerminal {
  /** Sets its window size; the child gets `SIGWINCH`. */
  resize(size: TerminalSize): void;
  /**
   * Types bytes into it, as keys: Ctrl-C (`0x03`) interrupts the child, Ctrl-D at the start of
   * a line is the end of its input. Does nothing once the terminal is closed.
   */
  write(bytes: Uint8Array): void;
}

/** A running child process; its stdout and stderr are pipes, or one pseudo-terminal. */
export interface ChildProcess {
  readonly pid: number;
  /** Its stdout, or all that its terminal shows. Ends when every writer has closed it. */
  readonly stdout: ReadableStream<Uint8Array>;
  /** Its stderr; with a terminal, empty. */
  readonly stderr: ReadableStream<Uint8Array>;
  /** Its pseudo-terminal, when it was started on one (`terminal`); else `null`. */
  readonly terminal: ChildTerminal | null;
  /** Resolves when the child has ended. */
  readonly status: Promise<ChildStatus>;
  /** Sends a signal (to its group with `group`); does nothing once the child has ended. */
  kill(signal: Signal): void;
}

/** What the rest of ringside needs from the runtime it runs on. */
export interface Runtime {
  /** `bun 1.4.5` or `deno 2.8.2`. */
  readonly name: string;
  /** Command-line arguments after the program. */
  readonly args: string[];
  readonly env: Record<string, string | undefined>;
  /**
   * Serves `fetch` on `hostname:port` (port 0: a free one) with no body size or idle limit.
   * `env` is what Hono's WebSocket helper needs from the runtime (pass it to `app.fetch`).
   * A port another process listens on is refused on every runtime (Bun would otherwise share
   * it, SO_REUSEPORT, and split the connections between the two servers).
   *
   * @throws {ListenError} when it cannot listen.
   */
  serve(
    fetch: (request: Request, env?: unknown) => Response | Promise<Response>,
    options: ServeOptions,
  ): Promise<Server>;
  /**
   * Why this runtime cannot close a hub connection after `ms` milliseconds without an answer
   * (`--hub-idle`), as one line; `null` when it can. `serve` throws a `RangeError` with it.
   */
  hubIdleProblem(ms: number): string | null;
  /** `SIGWINCH`: the terminal of standard output changed size. */
  onSignal(signal: "SIGTERM" | "SIGINT" | "SIGWINCH", listener: () => void): void;
  /** Resolves when standard input reaches its end. */
  stdinClosed(): Promise<void>;
  /**
   * Starts `command` (looked up in `PATH`; never through a shell) with piped stdout and stderr,
   * or on a pseudo-terminal (`terminal`).
   *
   * @throws {Error} when it cannot start (not found, not executable); a `TypeError` for
   * `terminal` where the runtime has none.
   */
  spawn(command: string, options?: SpawnOptions): ChildProcess;
  /** Whether `spawn` can start a child on a pseudo-terminal: Bun can, Deno 2.8 cannot. */
  readonly canSpawnTerminal: boolean;
  /** The window size of the terminal standard output is; `null` when it is not one. */
  terminalSize(): TerminalSize | null;
  /**
   * Whether this process is in the foreground of its terminal. A job started with `&` from an
   * interactive shell is not: it would be stopped (`SIGTTOU`, `SIGTTIN`) if it changed the
   * terminal's mode or read from it. `false` without a terminal; `true` when it cannot be told.
   */
  inForeground(): Promise<boolean>;
  /**
   * Passes standard input to `onData` as it comes, and calls `onEnd` at its end. A terminal is
   * switched to raw mode meanwhile: each key comes at once, unechoed, and Ctrl-C is a byte, not
   * a `SIGINT` to this process. The function returned stops reading and restores the
   * terminal's mode; it is safe to call twice.
   */
  forwardInput(onData: (bytes: Uint8Array) => void, onEnd: () => void): () => void;
  /** Writes bytes, unchanged and whole, to this process's standard output or error. */
  write(stream: "stdout" | "stderr", bytes: Uint8Array): Promise<void>;
  exit(code: number): never;
  /** WebSocket upgrades for the hub, through Hono's helper for this runtime. */
  readonly webSocket: WebSocketSupport;
  /** Whether standard output or standard error is a terminal (not a pipe or a file). */
  isTerminal(stream: "stdout" | "stderr"): boolean;
}

interface BunServer {
  hostname: string;
  port: number;
  stop(closeActive?: boolean): Promise<void>;
}

interface BunTerminal {
  resize(cols: number, rows: number): void;
  write(bytes: Uint8Array): number;
  close(): void;
  readonly closed: boolean;
}

interface BunSubprocess {
  pid: number;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  exited: Promise<number>;
  exitCode: number | null;
  signalCode: string | null;
  kill(signal?: string): void;
}

interface BunGlobal {
  version: string;
  argv: string[];
  env: Record<string, string | undefined>;
  stdin: { stream(): ReadableStream<Uint8Array> };
  stdout: unknown;
  stderr: unknown;
  write(destination: unknown, bytes: Uint8Array): Promise<number>;
  spawn(options: {
    cmd: string[];
    env?: Record<string, string>;
    cwd?: string;
    detached?: boolean;
    stdin?: "inherit" | "ignore";
    stdout?: "pipe";
    stderr?: "pipe";
    terminal?: {
      cols: number;
      rows: number;
      data(terminal: BunTerminal, bytes: Uint8Array): void;
      exit(terminal: BunTerminal): void;
    };
  }): BunSubprocess;
  Terminal?: unknown;
  file(path: string): { text(): Promise<string> };
  serve(options: {
    hostname: string;
    port: number;
    reusePort: boolean;
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
    websocket: typeof import("hono/bun").websocket & {
      maxPayloadLength: number;
      idleTimeout: number;
      sendPings: boolean;
    };
    maxRequestBodySize: number;
    idleTimeout: number;
    development: boolean;
  }): BunServer;
}

interface NodeWritable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

interface NodeProcess {
  pid: number;
  on(signal: string, listener: () => void): void;
  exit(code: number): never;
  kill(pid: number, signal: string): void;
  stdin: { isTTY?: boolean; setRawMode?(raw: boolean): void };
  stdout: NodeWritable;
  stderr: NodeWritable;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

/**
 * Whether process `pid` is in the foreground of its terminal: its process group is the
 * terminal's (Linux: `/proc/PID/stat`; elsewhere `ps`); `true` when neither tells.
 */
async function inForeground(
  pid: number,
  readText: (path: string) => Promise<string>,
  spawn: Runtime["spawn"],
): Promise<boolean> {
  try {
    const stat = await readText(`/proc/${pid}/stat`);
    // After "pid (name) ": state ppid pgrp session tty_nr tpgid …; the name may hold spaces.
    const [, , pgrp, , , tpgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (pgrp !== undefined && tpgid !== undefined) return pgrp === tpgid;
  } catch {
    // no /proc (macOS)
  }
  try {
    const child = spawn("ps", { args: ["-o", "pgid=,tpgid=", "-p", String(pid)] });
    const [text] = await Promise.all([new Response(child.stdout).text(), drain(child.stderr)]);
    await child.status;
    const [pgrp, tpgid] = text.trim().split(/\s+/);
    if (pgrp && tpgid) return pgrp === tpgid;
  } catch {
    // no ps either
  }
  return true;
}

/** A stream that has ended: a terminal child's stderr. */
function ended(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() });
}

/**
 * Reads `stream` into `onData` until its end (`onEnd`) or until the function returned is
 * called, which also calls `restore` (once).
 */
function forward(
  stream: ReadableStream<Uint8Array>,
  onData: (bytes: Uint8Array) => void,
  onEnd: () => void,
  restore: () => void,
): () => void {
  const reader = stream.getReader();
  let stopped = false;
  (async () => {
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        if (!stopped) onData(read.value);
      }
      if (!stopped) onEnd();
    } catch {
      // stopped, or standard input went away: there is nothing more to pass on
    }
  })();
  return () => {
    if (stopped) return;
    stopped = true;
    reader.cancel().catch(() => {});
    restore();
  };
}

/** A Bun child on a pseudo-terminal: its output as a stream, the terminal to type into. */
function bunTerminalChild(
  bun: BunGlobal,
  command: string,
  options: SpawnOptions & { terminal: TerminalSize },
): { child: BunSubprocess; stdout: ReadableStream<Uint8Array>; terminal: ChildTerminal } {
  let output!: ReadableStreamDefaultController<Uint8Array>;
  // Bun reads the terminal as fast as it writes: no backpressure, as on a real terminal.
  const stdout = new ReadableStream<Uint8Array>({ start: (controller) => output = controller });
  const child = bun.spawn({
    cmd: [command, ...(options.args ?? [])],
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.group ? { detached: true } : {}),
    terminal: {
      cols: options.terminal.cols,
      rows: options.terminal.rows,
      data(_, bytes) {
        try {
          output.enqueue(bytes.slice());
        } catch {
          // the reader cancelled the stream: what the child shows goes nowhere
        }
      },
      // Every process that had the terminal open has closed it (or the read failed).
      exit(terminal) {
        try {
          output.close();
        } catch {
          // cancelled already
        }
        terminal.close();
      },
    },
  });
  const pty = (child as unknown as { terminal: BunTerminal }).terminal;
  return {
    child,
    stdout,
    terminal: {
      resize({ cols, rows }) {
        if (!pty.closed) pty.resize(cols, rows);
      },
      write(bytes) {
        if (!pty.closed) pty.write(bytes);
      },
    },
  };
}

interface BunSocket {
  getBufferedAmount(): number;
  terminate(): void;
  cork(send: () => void): void;
}

function bunSocket(ws: WSContext): BunSocket {
  return ws.raw as BunSocket;
}

function bunHubIdleProblem(ms: number): string | null {
  const seconds = ms / 1000;
  if (
    Number.isInteger(seconds) && seconds % BUN_IDLE_STEP_SECONDS === 0 &&
    seconds >= BUN_IDLE_MIN_SECONDS && seconds <= BUN_IDLE_MAX_SECONDS
  ) return null;
  return `Invalid --hub-idle '${formatFlagDuration(ms)}': on Bun it must be a multiple of ` +
    `${BUN_IDLE_STEP_SECONDS}s from ${BUN_IDLE_MIN_SECONDS}s to ${BUN_IDLE_MAX_SECONDS}s ` +
    "(8s, 12s, 16s, … 60s)";
}

function denoHubIdleProblem(ms: number): string | null {
  if (ms > 0 && ms <= DENO_IDLE_MAX_MS) return null;
  return `Invalid --hub-idle '${formatFlagDuration(ms)}': on Deno it must be from 1ms to ` +
    `${formatFlagDuration(DENO_IDLE_MAX_MS)}`;
}

function bunRuntime(bun: BunGlobal, process: NodeProcess): Runtime {
  // hono/bun touches Bun at import: load it only here, not when Deno runs this file.
  const honoBun = import("hono/bun");
  const runtime: Runtime = {
    name: `bun ${bun.version}`,
    args: bun.argv.slice(2),
    env: bun.env,
    hubIdleProblem: bunHubIdleProblem,
    async serve(fetch, { hostname, port, hubIdle = defaultConfig().hubIdle }) {
      const problem = bunHubIdleProblem(hubIdle);
      if (problem) throw new RangeError(problem);
      const { websocket } = await honoBun;
      let server: BunServer;
      try {
        server = bun.serve({
          hostname,
          port,
          // Bun's default shares a port already in use (SO_REUSEPORT): two servers would each
          // get part of the connections, and a job started on one is 404 on the other.
          reusePort: false,
          fetch,
          websocket: {
            ...websocket,
            // Bun closes a connection that sends a bigger frame with 1009 before we see it.
            maxPayloadLength: MAX_FRAME_BYTES,
            // uWebSockets pings 4, 8 or 16 s before this (its margin grows with the timeout), and
            // restarts the count on every frame it sends as well as on every one it receives.
            idleTimeout: hubIdle / 1000,
            sendPings: true,
          },
          // A pipe is unlimited (Bun's default is 128 MiB) and SSE or a waiting side may stay
          // quiet for minutes (Bun's default idle timeout is 10 s).
          maxRequestBodySize: Number.MAX_SAFE_INTEGER,
          idleTimeout: 0,
          development: false,
        });
      } catch (error) {
        throw new ListenError(hostname, port, error);
      }
      return {
        hostname: server.hostname,
        port: server.port,
        stop: () => server.stop(false),
      };
    },
    onSignal: (signal, listener) => process.on(signal, listener),
    stdinClosed: () => drain(bun.stdin.stream()),
    spawn(command, options = {}) {
      const onTerminal = options.terminal
        ? bunTerminalChild(bun, command, { ...options, terminal: options.terminal })
        : null;
      const child = onTerminal?.child ?? bun.spawn({
        cmd: [command, ...(options.args ?? [])],
        ...(options.env ? { env: options.env } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.group ? { detached: true } : {}),
        stdin: options.stdin === "inherit" ? "inherit" : "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      let exited = false;
      return {
        pid: child.pid,
        stdout: onTerminal?.stdout ?? child.stdout,
        stderr: onTerminal ? ended() : child.stderr,
        terminal: onTerminal?.terminal ?? null,
        status: child.exited.then(() => {
          exited = true;
          return { code: child.signalCode ? null : child.exitCode, signal: child.signalCode };
        }),
        kill(signal) {
          if (exited) return;
          try {
            if (options.group) process.kill(-child.pid, signal);
            else child.kill(signal);
          } catch {
            // ended in the meantime
          }
        },
      };
    },
    async write(stream, bytes) {
      await bun.write(stream === "stdout" ? bun.stdout : bun.stderr, bytes);
    },
    exit: (code) => process.exit(code),
    webSocket: {
      upgrade: async (c: Context, events) => (await honoBun).upgradeWebSocket(c, events),
      bufferedAmount: (ws: WSContext) => bunSocket(ws).getBufferedAmount(),
      terminate: (ws: WSContext) => bunSocket(ws).terminate(),
      cork: (ws: WSContext, send: () => void) => bunSocket(ws).cork(send),
    },
    isTerminal: (stream) => process[stream].isTTY === true,
    canSpawnTerminal: typeof bun.Terminal === "function",
    inForeground() {
      return inForeground(process.pid, (path) => bun.file(path).text(), runtime.spawn);
    },
    terminalSize() {
      const { isTTY, columns, rows } = process.stdout;
      return isTTY && columns && rows ? { cols: columns, rows } : null;
    },
    forwardInput(onData, onEnd) {
      const stdin = process.stdin;
      const raw = stdin.isTTY === true && typeof stdin.setRawMode === "function";
      if (raw) stdin.setRawMode!(true);
      return forward(bun.stdin.stream(), onData, onEnd, () => raw && stdin.setRawMode!(false));
    },
  };
  return runtime;
}

/**
 * Whether an unhandled rejection is Deno's WebSocket read loop failing on a text message longer
 * than the longest string V8 makes (2^29 - 24 units, ~512 MiB). Deno bounds a single frame
 * (64 MiB) but not a message sent in fragments, and the failure happens in its own loop, with
 * nothing of ours on the stack to catch it.
 */
function isDenoWebSocketOverflow(reason: unknown): boolean {
  return reason instanceof TypeError &&
    reason.message.startsWith("failed to allocate string") &&
    (reason.stack ?? "").includes("deno_websocket");
}

function denoRuntime(): Runtime {
  // hono/deno touches Deno at import: load it only here, not when Bun runs this file.
  const honoDeno = import("hono/deno");
  // Deno takes the idle time per upgrade, not per server: serve() sets it for the upgrades.
  let hubIdleSeconds = defaultConfig().hubIdle / 1000;
  const runtime: Runtime = {
    name: `deno ${Deno.version.deno}`,
    args: Deno.args,
    env: Deno.env.toObject(),
    hubIdleProblem: denoHubIdleProblem,
    serve(fetch, { hostname, port, hubIdle = defaultConfig().hubIdle }) {
      const problem = denoHubIdleProblem(hubIdle);
      if (problem) throw new RangeError(problem);
      hubIdleSeconds = hubIdle / 1000;
      // Left alone, that rejection ends the process: one client could stop the server. The
      // connection is dropped by Deno all the same; the rest goes on.
      globalThis.addEventListener("unhandledrejection", (event) => {
        if (isDenoWebSocketOverflow(event.reason)) event.preventDefault();
      });
      const { promise, resolve } = Promise.withResolvers<Server>();
      let server: Deno.HttpServer;
      try {
        server = Deno.serve({
          hostname,
          port,
          onListen: ({ port }) => resolve({ hostname, port, stop: () => server.shutdown() }),
        }, fetch);
      } catch (error) {
        return Promise.reject(new ListenError(hostname, port, error));
      }
      return promise;
    },
    onSignal: (signal, listener) => Deno.addSignalListener(signal, listener),
    stdinClosed: () => drain(Deno.stdin.readable),
    spawn(command, options = {}) {
      if (options.terminal) throw new TypeError("Deno cannot start a child on a pseudo-terminal");
      const child = new Deno.Command(command, {
        args: options.args ?? [],
        ...(options.env ? { env: options.env, clearEnv: true } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.group ? { detached: true } : {}),
        stdin: options.stdin === "inherit" ? "inherit" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let ended = false;
      return {
        pid: child.pid,
        stdout: child.stdout,
        stderr: child.stderr,
        terminal: null,
        status: child.status.then((status) => {
          ended = true;
          return { code: status.signal ? null : status.code, signal: status.signal };
        }),
        kill(signal) {
          if (ended) return;
          try {
            if (options.group) Deno.kill(-child.pid, signal);
            else child.kill(signal);
          } catch {
            // ended in the meantime
          }
        },
      };
    },
    async write(stream, bytes) {
      const file = stream === "stdout" ? Deno.stdout : Deno.stderr;
      for (let offset = 0; offset < bytes.length;) {
        offset += await file.write(bytes.subarray(offset));
      }
    },
    exit: (code) => Deno.exit(code),
    webSocket: {
      // Deno cannot refuse a big frame itself: the hub closes with 1009 when one arrives.
      upgrade: async (c: Context, events) =>
        (await honoDeno).upgradeWebSocket(c, events, { idleTimeout: hubIdleSeconds }),
      bufferedAmount: (ws: WSContext) => (ws.raw as WebSocket).bufferedAmount,
      // No way to drop a Deno WebSocket without its close frame: close it.
      terminate: (ws: WSContext) => (ws.raw as WebSocket).close(1008, "Dropped"),
    },
    isTerminal: (stream) => Deno[stream].isTerminal(),
    canSpawnTerminal: false,
    inForeground() {
      return inForeground(Deno.pid, Deno.readTextFile, runtime.spawn);
    },
    terminalSize() {
      if (!Deno.stdout.isTerminal()) return null;
      const { columns, rows } = Deno.consoleSize();
      return { cols: columns, rows };
    },
    forwardInput(onData, onEnd) {
      const raw = Deno.stdin.isTerminal();
      if (raw) Deno.stdin.setRaw(true);
      return forward(Deno.stdin.readable, onData, onEnd, () => raw && Deno.stdin.setRaw(false));
    },
  };
  return runtime;
}

/** The runtime this process runs on. */
export function currentRuntime(): Runtime {
  const global = globalThis as unknown as { Bun?: BunGlobal; process?: NodeProcess };
  if (global.Bun && global.process) return bunRuntime(global.Bun, global.process);
  return denoRuntime();
}
