/**
 * Starts a real ringside server in a child process for end-to-end tests.
 *
 * The runtime comes from `RINGSIDE_TEST_RUNTIME`: `bun` (default), `deno`, or `binary`
 * (`$RINGSIDE_BINARY`, else `dist/ringside`, built by `deno task build`). The server listens on 127.0.0.1 port 0 and
 * is stopped by `stop()` or `await using`; it also exits by itself when this test process
 * dies, because its stdin is a pipe from us and `--exit-on-stdin-close` is set.
 */

import { hmacSha256 } from "./_hmac.ts";
import { decodeText } from "./_sse.ts";

const root = new URL("../", import.meta.url).pathname;

/** Which runtime the end-to-end suite runs the server on. */
export type TestRuntime = "bun" | "deno" | "binary";

/** The runtime chosen for this test run. */
export const testRuntime: TestRuntime = parseRuntime(Deno.env.get("RINGSIDE_TEST_RUNTIME"));

function parseRuntime(value: string | undefined): TestRuntime {
  if (value === undefined || value === "" || value === "bun") return "bun";
  if (value === "deno" || value === "binary") return value;
  throw new TypeError(`Invalid RINGSIDE_TEST_RUNTIME '${value}'`);
}

/** The command line that runs ringside on a runtime, without the subcommand. */
export function ringsideCommand(runtime: TestRuntime = testRuntime): string[] {
  switch (runtime) {
    case "bun":
      return [`${root}node_modules/.bin/bun`, `${root}main.ts`];
    case "deno":
      return [`${root}node_modules/.bin/deno`, "run", "-A", `${root}main.ts`];
    case "binary":
      return [Deno.env.get("RINGSIDE_BINARY") ?? `${root}dist/ringside`];
  }
}

/**
 * `ringside ARGS…` on the runtime under test (or `runtime`), as a command to spawn or run: its
 * stdin is closed and its stdout and stderr are piped unless `options` says otherwise.
 */
export function ringsideCli(
  options: Deno.CommandOptions & { args: string[]; runtime?: TestRuntime },
): Deno.Command {
  const { runtime, ...rest } = options;
  const [command, ...prefix] = ringsideCommand(runtime);
  return new Deno.Command(command!, {
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...rest,
    args: [...prefix, ...options.args],
  });
}

/**
 * Spawns `ringside run --server SERVER --id ID` of a command that prints `seq 1 LINES` once the
 * file `gate` exists, so that a test can watch the process before its first line.
 */
export function runGated(
  server: string,
  id: string,
  options: { gate: string; lines: number },
): Deno.ChildProcess {
  const waitThenPrint =
    `while [ ! -e '${options.gate}' ]; do sleep 0.05; done; seq 1 ${options.lines}`;
  return ringsideCli({
    args: ["run", "--server", server, "--id", id, "--", "sh", "-c", waitThenPrint],
  }).spawn();
}

/** The watch id the server must give `kind:name` under `secret`, computed independently. */
export async function expectedWatchId(secret: string, kind: string, name: string): Promise<string> {
  const mac = await hmacSha256(secret, `${kind}:${name}`);
  return btoa(String.fromCharCode(...mac))
    .replaceAll("+", "-").replaceAll("/", "_").slice(0, 22);
}

/** A running server. */
export interface TestServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Everything the server printed so far (stdout and stderr). */
  readonly output: () => string;
  /** Sends a signal and waits for the process to exit; returns its exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Resolves with the exit code when the process ends on its own. */
  readonly exited: Promise<number>;
}

/** Options for {@linkcode startServer}. */
export interface StartServerOptions {
  /** Extra `serve` flags, e.g. `["--max-spectators", "2"]`. */
  args?: string[];
  /** Working directory of the server process. @default a fresh temporary directory */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** @default the runtime under test (`RINGSIDE_TEST_RUNTIME`) */
  runtime?: TestRuntime;
}

/** Starts `ringside serve --host 127.0.0.1 --port 0` and waits for its `listening on` line. */
export async function startServer(options: StartServerOptions = {}): Promise<TestServer> {
  const cwd = options.cwd ?? await Deno.makeTempDir({ prefix: "ringside-test-" });
  const child = ringsideCli({
    args: [
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--exit-on-stdin-close",
      ...(options.args ?? []),
    ],
    cwd,
    env: options.env ?? {},
    ...(options.runtime ? { runtime: options.runtime } : {}),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let resolveOrigin: (origin: string) => void;
  const originFound = new Promise<string>((resolve) => resolveOrigin = resolve);
  async function collect(stream: ReadableStream<Uint8Array>) {
    for await (const chunk of decodeText(stream)) {
      text += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) resolveOrigin(match[1]!);
    }
  }
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const exited = child.status.then(async (status) => {
    await collected;
    return status.code;
  });
  const origin = await Promise.race([
    originFound,
    exited.then((code) => {
      throw new Error(`Server exited with ${code} before listening:\n${text}`);
    }),
  ]);
  const stdin = child.stdin.getWriter();
  let stopped: Promise<number> | undefined;
  function stop(signal: Deno.Signal = "SIGKILL"): Promise<number> {
    if (stopped) return stopped;
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
    stopped = exited.finally(() => stdin.close().catch(() => {}));
    return stopped;
  }
  return {
    origin,
    output: () => text,
    stop,
    exited,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}

/**
 * Polls `/healthz` until it stops answering 200 (after a SIGTERM: the server began draining)
 * and returns the status it answered then.
 */
export async function healthzAfterDrainBegins(origin: string): Promise<number> {
  for (;;) {
    const health = await fetch(`${origin}/healthz`);
    await health.body?.cancel();
    if (health.status !== 200) return health.status;
  }
}
