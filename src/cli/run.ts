import { answerError } from "../client/client.ts";
import { nameError } from "../names.ts";
import { exitOf } from "../process/exit_status.ts";
import type { ChildProcess, Runtime } from "../runtime/runtime.ts";
import { OutputForwarder } from "./output_forwarder.ts";

/** What `ringside run` was asked to do. */
export interface RunOptions {
  /** The server's origin (`http://127.0.0.1:8080`). */
  server: string;
  /** The process id on the server. */
  id: string;
  /** Sent as `Authorization: Bearer`, when given. */
  token: string | null;
  command: string;
  args: string[];
  /** Give the command a pseudo-terminal when our stdout is a terminal (`--no-tty`: false). */
  tty: boolean;
}

/** `ringside run --help`. */
export const RUN_USAGE =
  `Usage: ringside run [--server URL] [--id ID] [--token T] [--no-tty] -- CMD ARGS...

Runs CMD with its output passed through unchanged, streams it live to the server (anyone
can watch it at the URL printed on stderr), and exits with CMD's code.

When run's output is a terminal, CMD gets a terminal of its own (a pseudo-terminal of the
same size, resized with yours, your keys passed through), so it keeps its colours and
progress bars; the server gets what that terminal shows, as one stream (stdout). Otherwise,
or with --no-tty, CMD's stdout and stderr are two pipes, streamed apart. On Deno, which has
no pseudo-terminal, run always uses two pipes.

  --server URL   the ringside server [RINGSIDE_SERVER, else http://127.0.0.1:8080]
  --id ID        the process id on the server [CMD's name and a random suffix]
  --token T      bearer token for the server [the first of RINGSIDE_TOKEN]
  --no-tty       two pipes even when run's output is a terminal
`;

/** A usage error of `ringside run` (exit code 2). */
export class UsageError extends TypeError {}

/**
 * Parses `ringside run` arguments (after `run`): flags, then `--` (or the first word that is
 * not a flag) and the command.
 *
 * @throws {UsageError} on an unknown flag, a missing value or command, a bad id or URL.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRunArgs } from "./run.ts";
 * const options = parseRunArgs(["--id", "b1", "--", "make", "-j2"], {});
 * assert.deepEqual(
 *   [options.server, options.id, options.command, options.args, options.tty],
 *   ["http://127.0.0.1:8080", "b1", "make", ["-j2"], true],
 * );
 * assert.equal(parseRunArgs(["--no-tty", "ls"], {}).tty, false);
 * ```
 */
export function parseRunArgs(
  args: readonly string[],
  env: Record<string, string | undefined>,
): RunOptions {
  let server = env.RINGSIDE_SERVER || "http://127.0.0.1:8080";
  let id: string | null = null;
  let token: string | null = env.RINGSIDE_TOKEN?.split(",")[0]?.trim() || null;
  let tty = true;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (arg === "--no-tty") {
      tty = false;
      continue;
    }
    const match = /^--(server|id|token)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      if (arg.startsWith("-")) throw new UsageError(`Unknown option '${arg}'`);
      break;
    }
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`Missing value for --${match[1]}`);
    if (match[1] === "server") server = value;
    else if (match[1] === "id") id = value;
    else token = value;
  }
  const [command, ...rest] = args.slice(i);
  if (command === undefined || command === "") throw new UsageError("Missing the command to run");
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`Invalid --server '${server}' (use http://HOST:PORT)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`Invalid --server '${server}' (use http://HOST:PORT)`);
  }
  id ??= defaultId(command);
  const invalid = nameError(id);
  if (invalid) throw new UsageError(`Invalid --id: ${invalid}`);
  return { server: url.href.replace(/\/+$/, ""), id, token, command, args: rest, tty };
}

/** The command's name and a random suffix (~62 bits), e.g. `make-k3x9q2m8a0zp`. */
function defaultId(command: string): string {
  const base = (command.split("/").pop() ?? "").replace(/[^A-Za-z0-9._~-]/g, "-")
    .replace(/^\.+/, "").slice(0, 40) || "run";
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const suffix = [...bytes].map((b) => "0123456789abcdefghijklmnopqrstuvwxyz"[b % 36]).join("");
  return `${base}-${suffix}`;
}

const encoder = new TextEncoder();
/** Ctrl-D: the end of the input, typed into the command's terminal when our stdin ends. */
const END_OF_INPUT = new Uint8Array([0x04]);

/**
 * `ringside run`: runs the command with stdin inherited and stdout/stderr passed through to
 * this process's unchanged, streams both to the server, and resolves with the command's exit
 * code (128+N when signal N ended it). SIGINT and SIGTERM are forwarded to the command.
 *
 * When our stdout is a terminal (and `tty`, the runtime can, and we are not a background job),
 * the command runs on a
 * pseudo-terminal of the same size instead: resized with ours (`SIGWINCH`), our stdin passed to
 * it in raw mode (so Ctrl-C reaches it as from a terminal; raw mode is undone when it ends,
 * however it ends), and what it shows goes to our stdout and to the server as one `stdout`.
 *
 * The server never holds the command back: when it is unreachable, refuses, or goes away
 * mid-run, one line on stderr says nobody can watch and the command runs on; when it is slow,
 * lines to it are dropped (never to the terminal) and reported as a `gap`.
 */
export async function runCommand(runtime: Runtime, options: RunOptions): Promise<number> {
  const base = `${options.server}/api/v1/processes/${options.id}`;
  const headers: Record<string, string> = options.token
    ? { authorization: `Bearer ${options.token}` }
    : {};
  const say = (line: string) => runtime.write("stderr", encoder.encode(`ringside: ${line}\n`));
  let watchable = true;
  const lost = (error: Error) => {
    if (!watchable) return;
    watchable = false;
    say(`lost ${options.server} (${reason(error)}); nobody can watch the rest of this run`);
  };

  try {
    const info = await postStatus(base, headers, { status: "running" });
    await say(`live output at ${typeof info.url === "string" ? info.url : base}`);
    if (typeof info.watch === "string") await say(`watch link ${info.watch}`);
  } catch (error) {
    watchable = false;
    await say(`cannot reach ${options.server} (${reason(error)}); nobody can watch this run`);
  }

  // In the background (`&`) the terminal is the shell's: changing its mode would stop us.
  const size = options.tty && runtime.canSpawnTerminal && await runtime.inForeground()
    ? runtime.terminalSize()
    : null;
  let child: ChildProcess;
  try {
    child = runtime.spawn(
      options.command,
      size ? { args: options.args, terminal: size } : { args: options.args, stdin: "inherit" },
    );
  } catch (error) {
    await say(`cannot run '${options.command}': ${reason(error)}`);
    if (watchable) await postStatus(base, headers, { status: "failed" }).catch(() => {});
    return 127;
  }
  runtime.onSignal("SIGINT", () => child.kill("SIGINT"));
  runtime.onSignal("SIGTERM", () => child.kill("SIGTERM"));
  const terminal = child.terminal;
  let stopInput = () => {};
  if (terminal) {
    runtime.onSignal("SIGWINCH", () => {
      const size = runtime.terminalSize();
      if (size) terminal.resize(size);
    });
    stopInput = runtime.forwardInput(
      (bytes) => terminal.write(bytes),
      () => terminal.write(END_OF_INPUT),
    );
  }

  // On a terminal, stderr is empty: all the command shows comes as stdout.
  const streams = terminal ? ["stdout"] as const : ["stdout", "stderr"] as const;
  const forwarders = watchable
    ? streams.map((stream) =>
      new OutputForwarder({
        url: `${base}/output?stream=${stream}`,
        headers,
        onError: lost,
      })
    )
    : [];
  async function pass(stream: "stdout" | "stderr", forwarder: OutputForwarder | undefined) {
    const source = stream === "stdout" ? child.stdout : child.stderr;
    try {
      for await (const chunk of source) {
        forwarder?.push(chunk);
        await runtime.write(stream, chunk);
      }
    } catch {
      // Our stdout went away (`ringside run … | head`): stop reading, so that the command
      // gets SIGPIPE as it would have without us.
    }
  }
  let ending: ReturnType<typeof exitOf>;
  try {
    await Promise.all(streams.map((stream, i) => pass(stream, forwarders[i])));
    ending = exitOf(await child.status);
  } finally {
    stopInput();
  }
  const { status, exitCode } = ending;

  if (watchable) {
    // The command has ended: the server gets 2 s to take what is queued, then the rest becomes
    // a gap, so that a slow server never holds run's exit for long.
    const finished = Promise.all(forwarders.map((forwarder) => forwarder.finish()));
    if (!await within(finished, 2000)) {
      for (const forwarder of forwarders) forwarder.cut();
      if (!await within(finished, 5000)) lost(new Error("it did not take the last lines in time"));
    }
  }
  const dropped = forwarders.reduce((sum, forwarder) => sum + forwarder.dropped, 0);
  if (watchable) {
    try {
      await postStatus(base, headers, { status, exitCode });
      if (dropped > 0) await say(`the server was too slow for ${dropped} lines (shown as gaps)`);
    } catch (error) {
      lost(error as Error);
    }
  }
  return exitCode;
}

/** Whether `promise` settles within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms)),
  ]);
  clearTimeout(timer);
  return settled;
}

/** Posts a status; resolves with the server's answer, rejects unless it is `2xx`. */
async function postStatus(
  base: string,
  headers: Record<string, string>,
  body: { status: string; exitCode?: number },
): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}/status`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) {
    const error = await answerError(response);
    throw new Error(`${error.status} ${error.message}`);
  }
  return await response.json();
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.slice(0, 200);
}
