/**
 * A runtime-neutral client for ringside: start or join a job, publish, finish, post a process's
 * output and status, and follow any topic (pipe, job, process, watch link) as an async iterator
 * of events, reconnecting with `Last-Event-ID` the way `EventSource` does.
 *
 * It needs nothing but `fetch`, `TextEncoder`/`TextDecoder` and Web Streams, so it runs unchanged
 * on Deno, Bun, Node 20+ and in browsers. It imports only its own folder and the route table (pure data, so that
 * what a URL means is written once): `deno task client` bundles them into one file,
 * `dist/client.js`, to copy into a project; this module exports all a project needs.
 *
 * @module
 */

import { answerError, unreachable } from "./ringside_error.ts";
import { parseData, subscribe, type SubscribeOptions } from "./subscribe.ts";
import { encodePath, type RingsideEvent, spectatorUrl, withSlash } from "./urls.ts";

export { answerError, RingsideError } from "./ringside_error.ts";
export { type ServerSentEvent, SseParser } from "./sse_parser.ts";
export type { SubscribeOptions } from "./subscribe.ts";
export { isFinalEvent, type RingsideEvent, spectatorUrl } from "./urls.ts";

/** Options for {@linkcode RingsideClient}. */
export interface RingsideClientOptions {
  /** The server's origin, e.g. `http://127.0.0.1:8080`. */
  server: string | URL;
  /** Sent as `Authorization: Bearer TOKEN` on every request. */
  token?: string;
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** What starting or joining a job answers. */
export interface JobStart {
  id: string;
  /** The spectator URL (dashboard, SSE, JSON). */
  url: string;
  /** The watch link, when the server makes them. */
  watch?: string;
  /** `true` when a running (or, with `join`, retained) job was joined instead of created. */
  joined: boolean;
}

/** A job's end: a result (`ok` defaults to `true`) or a failure with its reason. */
export type JobFinish = { ok?: true; [key: string]: unknown } | { ok: false; error: string };

/** A process status as `POST …/status` takes it. */
export interface ProcessStatusBody {
  status: "running" | "exited" | "killed" | "failed";
  /** The exit code (`exited`), or 128+N for signal N (`killed`). */
  exitCode?: number | null;
}

/** Options for {@linkcode RingsideClient.postOutput}. */
export interface PostOutputOptions {
  /** Which of the process's streams the lines belong to. @default "stdout" */
  stream?: "stdout" | "stderr";
  /** Lines the publisher dropped before these (the server emits a `gap` event). */
  missed?: number;
  signal?: AbortSignal;
}

/**
 * A ringside client over `fetch`. Every method throws a {@linkcode RingsideError} for an answer
 * other than 2xx (its message is the server's one line) and for an unreachable server
 * (`status` 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RingsideClient } from "./client.ts";
 * const client = new RingsideClient({ server: "http://127.0.0.1:8080", token: "t" });
 * assert.equal(client.url("job:nightly"), "http://127.0.0.1:8080/api/v1/jobs/nightly");
 * ```
 */
export class RingsideClient {
  readonly server: string;
  #token: string | undefined;
  #fetch: typeof fetch;

  constructor(options: RingsideClientOptions) {
    this.server = withSlash(options.server);
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The spectator URL of a topic; see {@linkcode spectatorUrl}. */
  url(topic: string): string {
    return spectatorUrl(this.server, topic);
  }

  /**
   * Starts job `id`, with `first` as its first snapshot. A running job is joined; a finished one
   * is replaced by a fresh run. With `join`, a retained (finished) job is joined instead.
   */
  async startJob(
    id: string,
    first?: Record<string, unknown>,
    options: { join?: boolean; signal?: AbortSignal } = {},
  ): Promise<JobStart> {
    const path = `api/v1/jobs/${encodePath(id)}${options.join ? "?join" : ""}`;
    const response = await this.#request("POST", path, {
      ...(first === undefined ? {} : { json: first }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return await response.json() as JobStart;
  }

  /** Publishes a snapshot of job `id` (latest wins for spectators). */
  async publish(
    id: string,
    data: Record<string, unknown>,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const response = await this.#request("POST", `api/v1/jobs/${encodePath(id)}/progress`, {
      json: data,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await response.body?.cancel();
  }

  /**
   * Finishes job `id` once: `{ ok: false, error }` fails it; anything else succeeds with that
   * result (`ok: true` is added). Finishing again answers the first recorded result.
   * @returns the server's answer.
   */
  async finish(id: string, result: JobFinish = {}): Promise<unknown> {
    const body = "ok" in result ? result : { ok: true, ...result };
    const response = await this.#request("POST", `api/v1/jobs/${encodePath(id)}/finish`, {
      json: body,
    });
    return await jsonOrNull(response);
  }

  /**
   * Posts output lines of process `id`. An array is sent as lines; a string as it is; a stream
   * or async iterable is streamed, so the server turns each line into an event as it arrives
   * (streaming request bodies need `fetch` with `duplex: "half"`: Deno, Bun, Node 20+,
   * Chromium over HTTP/2).
   * @returns the server's answer (`{ id, lines, seq }`: lines taken, the process's last seq).
   */
  async postOutput(
    id: string,
    lines:
      | string
      | readonly string[]
      | ReadableStream<Uint8Array>
      | AsyncIterable<string | Uint8Array>,
    options: PostOutputOptions = {},
  ): Promise<Record<string, unknown>> {
    const stream = options.stream ?? "stdout";
    const body = typeof lines === "string"
      ? lines
      : Array.isArray(lines)
      ? lines.map((line) => `${line}\n`).join("")
      : lines instanceof ReadableStream
      ? lines
      : iterableStream(lines as AsyncIterable<string | Uint8Array>);
    const missed = options.missed ? `&missed=${options.missed}` : "";
    const response = await this.#request(
      "POST",
      `api/v1/processes/${encodePath(id)}/output?stream=${stream}${missed}`,
      {
        body,
        contentType: "text/plain; charset=utf-8",
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return await jsonObject(response);
  }

  /**
   * Posts the status of process `id`: `running` first, then one final status.
   * @returns the server's answer (`{ id, url, watch?, status }`).
   */
  async postStatus(
    id: string,
    status: ProcessStatusBody | ProcessStatusBody["status"],
  ): Promise<Record<string, unknown>> {
    const body = typeof status === "string" ? { status } : status;
    const response = await this.#request("POST", `api/v1/processes/${encodePath(id)}/status`, {
      json: body,
    });
    return await jsonObject(response);
  }

  /**
   * Follows a topic (a URL, a path, or `pipe:`/`job:`/`process:`/`watch:` + name) as an async
   * iterator of its events, `data` parsed from JSON. When the server closes the stream before a
   * final event (a spectator's lifetime ended, a node restarted), it reconnects after the
   * server's `retry:` delay with `Last-Event-ID`, as `EventSource` does. The iteration ends after
   * a final event (see {@linkcode isFinalEvent}), on `204 No Content`, or when `signal` aborts;
   * breaking out of the loop closes the connection. A first answer other than `200
   * text/event-stream` throws a {@linkcode RingsideError}.
   */
  async *subscribe(
    urlOrTopic: string,
    options: SubscribeOptions = {},
  ): AsyncGenerator<RingsideEvent, void, undefined> {
    yield* subscribe(this.url(urlOrTopic), { ...options, fetch: this.#fetch, token: this.#token });
  }

  async #request(
    method: string,
    path: string,
    options: {
      json?: unknown;
      body?: string | ReadableStream<Uint8Array>;
      contentType?: string;
      signal?: AbortSignal;
    },
  ): Promise<Response> {
    const url = new URL(path, this.server).href;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let body: string | ReadableStream<Uint8Array> | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    } else if (options.contentType) {
      headers["content-type"] = options.contentType;
    }
    const init: RequestInit & { duplex?: "half" } = { method, headers };
    if (body !== undefined) init.body = body;
    if (body instanceof ReadableStream) init.duplex = "half";
    if (options.signal) init.signal = options.signal;
    let response: Response;
    try {
      response = await this.#fetch(url, init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw unreachable(url, error);
    }
    if (!response.ok) throw await answerError(response);
    return response;
  }
}

async function jsonOrNull(response: Response): Promise<unknown> {
  const text = await response.text();
  return text === "" ? null : parseData(text);
}

async function jsonObject(response: Response): Promise<Record<string, unknown>> {
  const body = await jsonOrNull(response);
  return typeof body === "object" && body !== null ? body as Record<string, unknown> : {};
}

/** An async iterable as a byte stream, pulled as the request body is sent. */
function iterableStream(
  iterable: AsyncIterable<string | Uint8Array>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = iterable[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(typeof value === "string" ? encoder.encode(value) : value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}
