// The runtime adapter for Bun: one of the two places that touch Bun.* (with current.ts).

import type { Context } from "hono";
import type { WSContext } from "hono/ws";
import type { ChildTerminal, Runtime, SpawnOptions, TerminalSize } from "./runtime.ts";
import { defaultConfig } from "../config.ts";
import { formatFlagDuration } from "../flag_units.ts";
import { MAX_FRAME_BYTES } from "../hub/hub_client.ts";
import { childProcess, endedStream } from "./child.ts";
import { inForeground } from "./foreground.ts";
import { drain, forward } from "./input.ts";
import { ListenError } from "./listen_error.ts";

/** Bun (uWebSockets) counts WebSocket idle time in ticks of 4 s; it closes after 8 s at the least. */
const BUN_IDLE_STEP_SECONDS = 4;
const BUN_IDLE_MIN_SECONDS = 8;
/** Bun refuses a bigger `idleTimeout`. */
const BUN_IDLE_MAX_SECONDS = 960;

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

export interface BunGlobal {
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

export interface NodeProcess {
  pid: number;
  on(signal: string, listener: () => void): void;
  exit(code: number): never;
  kill(pid: number, signal: string): void;
  stdin: { isTTY?: boolean; setRawMode?(raw: boolean): void };
  stdout: NodeWritable;
  stderr: NodeWritable;
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

/** The runtime on Bun: `Bun.*`, and Node's `process` where Bun has no API of its own. */
export function bunRuntime(bun: BunGlobal, process: NodeProcess): Runtime {
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
      return childProcess({
        pid: child.pid,
        stdout: onTerminal?.stdout ?? child.stdout,
        stderr: onTerminal ? endedStream() : child.stderr,
        terminal: onTerminal?.terminal ?? null,
        status: child.exited.then(() => ({
          code: child.signalCode ? null : child.exitCode,
          signal: child.signalCode,
        })),
        kill: (signal) => options.group ? process.kill(-child.pid, signal) : child.kill(signal),
      });
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
      return inForeground(process.pid, {
        readText: (path) => bun.file(path).text(),
        spawn: runtime.spawn,
      });
    },
    terminalSize() {
      const { isTTY, columns, rows } = process.stdout;
      return isTTY && columns && rows ? { cols: columns, rows } : null;
    },
    forwardInput(onData, onEnd) {
      const stdin = process.stdin;
      const raw = stdin.isTTY === true && typeof stdin.setRawMode === "function";
      if (raw) stdin.setRawMode!(true);
      return forward(bun.stdin.stream(), {
        onData,
        onEnd,
        restore: () => raw && stdin.setRawMode!(false),
      });
    },
  };
  return runtime;
}
