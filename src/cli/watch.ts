/**
 * `ringside watch URL`: follows a pipe, job, process or watch link in a terminal.
 *
 * @module
 */

import { RingsideClient, RingsideError, type RingsideEvent } from "../client/client.ts";
import type { PipeSnapshot } from "../progress/snapshot.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { StatusLine } from "./status_line.ts";
import { terminalText } from "./terminal_text.ts";
import { jobLine, pipeLine } from "./watch_line.ts";

/** `ringside watch --help`. */
export const WATCH_USAGE = `Usage: ringside watch [--token T] [--server URL] URL|TOPIC

Follows a pipe, job, process or watch link until it ends:
  pipes and jobs  one pv-style line (61%  5.05 GB / 8.16 GB  118 MB/s  ETA 0:26), redrawn in
                  place on a terminal, one line a second otherwise
  processes       the live output lines (stdout to stdout, stderr to stderr)

URL is a spectator URL (…/api/v1/pipe/NAME, /NAME, …/api/v1/jobs/ID, …/api/v1/processes/ID,
…/w/WATCHID), or a path or topic (pipe:NAME, job:ID, process:ID, watch:WATCHID) on --server
(default $RINGSIDE_SERVER, then http://127.0.0.1:8080).
  --token T   bearer token (default: the first of $RINGSIDE_TOKEN)

Exit status: 0 success; 1 failure; a process's own exit code (killed: 128+N, or 1);
2 usage error, server unreachable, or the topic refused (404, 401, 403, 429).
`;

const encoder = new TextEncoder();

/** What went wrong before following could start: exit code 2. */
class UsageError extends Error {}

interface WatchArgs {
  target: string;
  token: string | undefined;
  server: string;
  help: boolean;
}

/**
 * Parses `watch`'s arguments; throws a `UsageError` on a bad one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWatchArgs } from "./watch.ts";
 * const args = parseWatchArgs(["--token=t", "job:x"], { RINGSIDE_SERVER: "http://s:1" });
 * assert.deepEqual(args, { target: "job:x", token: "t", server: "http://s:1", help: false });
 * assert.throws(() => parseWatchArgs([], {}), /Missing the URL to watch/);
 * ```
 */
export function parseWatchArgs(
  args: readonly string[],
  env: Record<string, string | undefined>,
): WatchArgs {
  let target: string | undefined;
  let token = env.RINGSIDE_TOKEN?.split(",")[0]?.trim() || undefined;
  let server = env.RINGSIDE_SERVER || "http://127.0.0.1:8080";
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    if (flag === "--help" || flag === "-h") {
      help = true;
    } else if (flag === "--token" || flag === "--server") {
      const value = inline ?? args[++i];
      if (value === undefined || value === "") throw new UsageError(`${flag} needs a value`);
      if (flag === "--token") token = value;
      else server = value;
    } else if (arg.startsWith("-")) {
      throw new UsageError(`Unknown flag '${arg}'`);
    } else if (target === undefined) {
      target = arg;
    } else {
      throw new UsageError(`One URL only, got '${target}' and '${arg}'`);
    }
  }
  if (target === undefined && !help) throw new UsageError("Missing the URL to watch");
  return { target: target ?? "", token, server, help };
}

/** The exit code a process's final status stands for. */
function processExitCode(data: { status?: unknown; exitCode?: unknown }): number {
  if (typeof data.exitCode === "number" && Number.isInteger(data.exitCode)) {
    return Math.min(255, Math.max(0, data.exitCode));
  }
  return data.status === "exited" ? 0 : 1;
}

/**
 * Runs `ringside watch ARGS…` and resolves with the exit code. Ctrl-C stops it (130).
 *
 * What the server sends (a process's lines, a job's error, any message) is written through
 * {@linkcode terminalText}: on a terminal with its colours and no other escape sequence, and
 * with none at all to a pipe or a file. Colours a line left set are reset before it exits.
 */
export async function watch(runtime: Runtime, args: readonly string[]): Promise<number> {
  function print(stream: "stdout" | "stderr", text: string): Promise<void> {
    return runtime.write(stream, encoder.encode(text));
  }
  const terminal = { stdout: runtime.isTerminal("stdout"), stderr: runtime.isTerminal("stderr") };
  const coloured = { stdout: false, stderr: false };
  /** Prints text from the server followed by `end`: shown, never run by the terminal. */
  function printRemote(stream: "stdout" | "stderr", text: string, end = "\n"): Promise<void> {
    const safe = terminalText(text, { colors: terminal[stream] });
    if (safe.includes("\x1b")) coloured[stream] = true;
    return print(stream, safe + end);
  }
  let parsed: WatchArgs;
  try {
    parsed = parseWatchArgs(args, runtime.env);
  } catch (error) {
    await print("stderr", `ringside watch: ${(error as Error).message}\n${WATCH_USAGE}`);
    return 2;
  }
  if (parsed.help) {
    await print("stdout", WATCH_USAGE);
    return 0;
  }
  let client: RingsideClient;
  let url: string;
  try {
    const server = /^https?:\/\//i.test(parsed.target)
      ? new URL(parsed.target).origin
      : parsed.server;
    client = new RingsideClient({
      server,
      ...(parsed.token === undefined ? {} : { token: parsed.token }),
    });
    url = client.url(parsed.target);
  } catch {
    await print("stderr", `ringside watch: Invalid URL '${parsed.target}'\n`);
    return 2;
  }
  const scheme = new URL(url).protocol;
  if (scheme !== "http:" && scheme !== "https:") {
    await print("stderr", `ringside watch: URL must be http:// or https:// (got ${scheme})\n`);
    return 2;
  }
  const line = new StatusLine({
    tty: runtime.isTerminal("stdout"),
    write: (text) => print("stdout", text),
  });
  const stop = new AbortController();
  runtime.onSignal("SIGINT", () => stop.abort());
  let last: Record<string, unknown> = {};
  try {
    return await follow();
  } finally {
    for (const stream of ["stdout", "stderr"] as const) {
      if (coloured[stream]) await print(stream, "\x1b[0m");
    }
  }

  async function follow(): Promise<number> {
    try {
      for await (const event of client.subscribe(url, { signal: stop.signal })) {
        const code = await show(event);
        if (code !== null) return code;
      }
    } catch (error) {
      await line.finish();
      const status = error instanceof RingsideError ? error.status : 0;
      const message = error instanceof Error ? error.message : String(error);
      await printRemote(
        "stderr",
        `ringside watch: ${status > 0 ? `${status} ${message} (${url})` : message}`,
      );
      return 2;
    }
    await line.finish();
    if (stop.signal.aborted) return 130;
    await print("stderr", `ringside watch: the stream ended before the topic did (${url})\n`);
    return 1;
  }

  /** Shows one event; returns the exit code when it was the last one. */
  async function show(event: RingsideEvent): Promise<number | null> {
    const data =
      (typeof event.data === "object" && event.data !== null ? event.data : {}) as Record<
        string,
        unknown
      >;
    switch (event.type) {
      case "state":
      case "progress":
        if (data.kind === "pipe") await line.update(pipeLine(data as unknown as PipeSnapshot));
        else await line.update(jobLine(last = data));
        return null;
      case "done":
        await line.finish(pipeLine(data as unknown as PipeSnapshot));
        return 0;
      case "complete":
        await line.finish(
          jobLine({
            ...last,
            ...data,
            estimated_time: null,
            message: data.message ?? last.message,
            progress: typeof last.progress === "number" ? 100 : undefined,
          }),
        );
        return 0;
      case "error":
        await line.finish(
          data.kind === "pipe" ? pipeLine(data as unknown as PipeSnapshot) : undefined,
        );
        await printRemote("stderr", `ringside watch: failed: ${String(data.error ?? event.data)}`);
        return 1;
      case "output":
        await printRemote(data.stream === "stderr" ? "stderr" : "stdout", String(data.line));
        return null;
      case "gap":
        await printRemote("stderr", `ringside watch: ${String(data.missed)} line(s) missed`);
        return null;
      case "status":
        return data.status === "running" ? null : processExitCode(data);
      default:
        return null; // timeout (the client reconnects), and types this version does not know
    }
  }
}
