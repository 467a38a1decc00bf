import type { Config } from "../config.ts";
import { nameError } from "../names.ts";
import type { Process } from "../process/process.ts";
import { obtainProcess, watchProcess } from "../process/processes.ts";
import { MAX_SEQ, parseLastEventId } from "../process/process_topic.ts";
import { parseTasks, type Task } from "../process/task.ts";
import type { ProcessSnapshot, ProcessStatus } from "../progress/snapshot.ts";
import type { ChildProcess, SpawnOptions } from "../runtime/runtime.ts";
import type { TopicKind, Tracker } from "../tracker.ts";
import { readJsonObject } from "./json_body.ts";
import { publicOrigin } from "./origin.ts";
import type { RouteContext, RouteHandler } from "./router.ts";
import { type PageRenderer, spectateResponse } from "./spectate.ts";
import { HttpError } from "../http_error.ts";

/**
 * Live events an SSE spectator of a process may hold unsent (besides the greeting, the ring)
 * before it is closed: ~16,000 short lines. A spectator that keeps up never gets near it; one
 * that stops reading gets its queue and a comment, then the end of the stream, and resumes with
 * `Last-Event-ID` (the ring, with a `gap` for what left it).
 */
export const PROCESS_SPECTATOR_QUEUE_BYTES = 1024 * 1024;

const STATUSES: ReadonlySet<string> = new Set(["running", "exited", "killed", "failed"]);

/** Options for {@linkcode processHandlers}. */
export interface ProcessRoutesOptions {
  config: Config;
  /** The terminal page; without it, browsers get the SSE stream. */
  page?: PageRenderer<ProcessSnapshot> | undefined;
  /** Starts a named task's child; without it, tasks cannot run here (`501`). */
  spawn?: ((command: string, options: SpawnOptions) => ChildProcess) | undefined;
  /** This server's environment, from which a task inherits `PATH` and `--task-env` names. */
  env?: Record<string, string | undefined> | undefined;
  /** The watch link of a topic (path or URL), when the server makes them. */
  watchLink?:
    | ((kind: TopicKind, name: string) => string | null | Promise<string | null>)
    | undefined;
}

/** A random suffix for ids nobody chose: 12 characters of `0-9 a-z` (~62 bits). */
function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return [...bytes].map((byte) => "0123456789abcdefghijklmnopqrstuvwxyz"[byte % 36]).join("");
}

/**
 * The environment of a task's child: `PATH` and the `--task-env` names, nothing else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskEnvironment } from "./process_routes.ts";
 * const env = taskEnvironment({ PATH: "/bin", SECRET: "s", LANG: "C" }, ["LANG", "MISSING"]);
 * assert.deepEqual(env, { PATH: "/bin", LANG: "C" });
 * ```
 */
export function taskEnvironment(
  env: Record<string, string | undefined>,
  names: readonly string[],
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of ["PATH", ...names]) {
    const value = env[name];
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/**
 * The handlers of the process routes (the route table gives them the decoded id):
 * `output` (`POST|PUT /api/v1/processes/{id}/output[?stream=][&missed=K]`: a streamed text
 * body, one event per line as it arrives), `status` (`POST|PUT …/{id}/status`), `run`
 * (`POST /api/v1/processes?task=NAME[&id=ID]`: a named task), `stop` (`DELETE …/{id}`: a task
 * this server started), `spectate` (`GET …/{id}`). Errors are thrown as `HttpError`.
 *
 * @throws {TypeError} when a `--task` is invalid (at start-up).
 */
export function processHandlers(tracker: Tracker, options: ProcessRoutesOptions): {
  output: RouteHandler;
  status: RouteHandler;
  run: RouteHandler;
  stop: RouteHandler;
  spectate: RouteHandler;
} {
  const { config } = options;
  const tasks: Map<string, Task> = parseTasks(config.tasks);

  function checkName(id: string): void {
    const invalid = nameError(id);
    if (invalid) throw new HttpError(400, invalid);
  }

  /** The process of that id, created when missing ({@linkcode obtainProcess}). */
  function obtain(id: string, options: { newWork?: boolean; onCreate?: () => void } = {}): Process {
    return obtainProcess(tracker, id, {
      historyLines: config.historyLines,
      historyBytes: config.historyBytes,
      idle: config.jobIdle,
      ...options,
    });
  }

  async function describe(c: RouteContext, id: string): Promise<Record<string, unknown>> {
    const origin = publicOrigin(c.req.raw, config.trustProxy);
    const url = `${origin}/api/v1/processes/${id}`;
    const link = await options.watchLink?.("process", id);
    return { id, url, ...(link ? { watch: new URL(link, origin).href } : {}) };
  }

  function ended(process: Process): HttpError {
    const { status, exitCode } = process.topic.snapshot();
    const code = exitCode === null ? "" : ` (exit code ${exitCode})`;
    return new HttpError(409, `Process '${process.name}' already ${status}${code}`);
  }

  /**
   * A task's output and status come from its child alone: a posted final status would end the
   * run while the child went on, out of reach of DELETE, and posted lines would pass for its own.
   */
  function task(process: Process): HttpError {
    return new HttpError(
      409,
      `Process '${process.name}' is a task this server runs; its output and status come from ` +
        "its command (DELETE stops it)",
    );
  }

  /** Refuses a post: its body is cancelled, never read. */
  async function refuse(c: RouteContext, error: HttpError): Promise<never> {
    await c.req.raw.body?.cancel().catch(() => {});
    throw error;
  }

  const output: RouteHandler = async (c, { name: id }) => {
    checkName(id);
    const stream = c.req.query("stream") ?? "stdout";
    if (stream !== "stdout" && stream !== "stderr") {
      throw new HttpError(400, `Invalid stream '${stream}' (stdout or stderr)`);
    }
    const missedText = c.req.query("missed");
    const missed = missedText === undefined ? 0 : Number(missedText);
    if (missedText !== undefined && (!/^\d{1,15}$/.test(missedText))) {
      throw new HttpError(400, `Invalid missed=${missedText} (a whole number)`);
    }
    const process = obtain(id);
    if (process.topic.ended) return await refuse(c, ended(process));
    if (process.isTask) return await refuse(c, task(process));
    if (process.topic.seq + missed > MAX_SEQ) {
      // Past it, line numbers would repeat (float precision) and no reconnect could resume.
      return await refuse(
        c,
        new HttpError(400, `Invalid missed=${missedText}: the line numbers would pass ${MAX_SEQ}`),
      );
    }
    process.touch();
    process.topic.gap(missed);
    const body = c.req.raw.body ?? ReadableStream.from<Uint8Array>([]);
    const lines = await process.readOutput(body, stream);
    if (lines === null) throw ended(process);
    return c.json({ id, lines, seq: process.topic.seq });
  };

  const status: RouteHandler = async (c, { name: id }) => {
    checkName(id);
    // Bounded while reading: a body past --max-event-bytes is cancelled, never held whole.
    const body = await readJsonObject(c.req.raw, config.maxEventBytes, { hint: EXAMPLE });
    const shape = parseStatus(body);
    if (typeof shape === "string") throw new HttpError(400, shape);
    const process = obtain(id);
    process.touch();
    if (process.topic.ended) throw ended(process);
    if (process.isTask) throw task(process);
    if (shape.status !== "running") process.finish(shape.status, shape.exitCode);
    return c.json({ ...await describe(c, id), status: shape.status });
  };

  const run: RouteHandler = async (c) => {
    const name = c.req.query("task");
    if (name === undefined) {
      throw new HttpError(400, "Missing ?task=NAME (a task named at start-up)");
    }
    const task = tasks.get(name);
    if (!task) {
      const known = tasks.size === 0 ? "this server names none" : `known: ${[...tasks.keys()]}`;
      throw new HttpError(404, `Unknown task '${name}' (${known})`);
    }
    if (!options.spawn) throw new HttpError(501, "This server cannot start processes");
    const id = c.req.query("id") ?? `${name.replaceAll("/", "-")}-${randomSuffix()}`;
    checkName(id);
    let fresh = false;
    const process = obtain(id, { newWork: true, onCreate: () => fresh = true });
    // A new entry has an empty run; a retained one starts a new run; a running one is busy.
    if (!fresh && !process.renew()) throw new HttpError(409, `Process '${id}' is running`);
    const spawn = options.spawn;
    process.runChild(task.command, () =>
      spawn(task.command, {
        args: task.args,
        env: taskEnvironment(options.env ?? {}, config.taskEnv),
        stdin: "null",
        group: true,
      }));
    return c.json(await describe(c, id), 202);
  };

  function find(id: string): Process {
    checkName(id);
    return watchProcess(tracker, id);
  }

  const stop: RouteHandler = async (c, { name: id }) => {
    const process = find(id);
    const topic = process.topic;
    switch (process.stop()) {
      case "ended":
        throw ended(process);
      case "not-ours":
        throw new HttpError(
          409,
          `Process '${id}' was not started by this server; stop it where it runs`,
        );
    }
    await new Promise((resolve) => {
      if (topic.ended) resolve(null);
      topic.addEventListener("status", resolve, { once: true });
    });
    const { status, exitCode } = topic.snapshot();
    return c.json({ id, status, exitCode });
  };

  const spectate: RouteHandler = (c, { name: id }) => {
    const topic = find(id).topic;
    const lastEventId = c.req.header("last-event-id") ?? null;
    return spectateResponse(c, {
      snapshot: () => topic.snapshot(),
      attach: (signal, extra) =>
        tracker.spectate(topic, {
          latestWins: [],
          lastEventId: parseLastEventId(lastEventId) === null ? null : lastEventId,
          maxQueueBytes: PROCESS_SPECTATOR_QUEUE_BYTES,
          signal,
          ...extra,
        }),
      endSeenBy: (lastEventId) => topic.endSeenBy(lastEventId),
      page: options.page,
      origin: publicOrigin(c.req.raw, config.trustProxy),
    });
  };

  return { output, status, run, stop, spectate };
}

/** What a status body looks like, for the messages that refuse one. */
const EXAMPLE = '(send {"status":"exited","exitCode":0})';

/**
 * Checks a status body, read as a JSON object ({@linkcode readJsonObject}; `null` when empty):
 * `{"status":"running|exited|killed|failed","exitCode":N}`; `exited` needs an integer
 * `exitCode`, the others may give one or `null`.
 *
 * @returns the status, or the one-line reason it is refused.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStatus } from "./process_routes.ts";
 * assert.deepEqual(parseStatus({ status: "exited", exitCode: 0 }), { status: "exited", exitCode: 0 });
 * assert.match(parseStatus({ status: "done" }) as string, /Invalid status/);
 * assert.match(parseStatus(null) as string, /empty/);
 * ```
 */
export function parseStatus(
  body: Record<string, unknown> | null,
): { status: ProcessStatus; exitCode: number | null } | string {
  if (body === null) return `Status body is empty ${EXAMPLE}`;
  const { status, exitCode } = body;
  if (typeof status !== "string" || !STATUSES.has(status)) {
    return `Invalid status ${JSON.stringify(status)} (running, exited, killed or failed)`;
  }
  if (exitCode !== undefined && exitCode !== null && !Number.isSafeInteger(exitCode)) {
    return `Invalid exitCode ${JSON.stringify(exitCode)} (a whole number)`;
  }
  if (status === "exited" && typeof exitCode !== "number") {
    return "Status 'exited' needs an integer exitCode";
  }
  return { status: status as ProcessStatus, exitCode: (exitCode as number | undefined) ?? null };
}
