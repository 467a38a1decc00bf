// What ringside needs from the runtime it runs on, as Web-API types. The adapters beside this
// file (bun.ts, deno.ts, chosen by current.ts) are the only places that touch Bun.* and Deno.*:
// serving, WebSockets, signals, standard input and output, child processes, exit.

import type { WebSocketSupport } from "../http/hub_routes.ts";

/** A listening server. */
export interface Server {
  readonly hostname: string;
  readonly port: number;
  /** Stops listening and resolves when the running requests have finished. */
  stop(): Promise<void>;
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
