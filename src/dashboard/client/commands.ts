/**
 * Pipe URLs and the copy-able shell commands the pages show.
 *
 * @module
 */

/**
 * The path of a pipe. Each `/`-separated segment is percent-encoded, so whatever a person
 * types reaches the server intact and the server's name check answers it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pipePath } from "./commands.ts";
 * assert.equal(pipePath("backups/db.tar"), "/api/v1/pipe/backups/db.tar");
 * assert.equal(pipePath("a b"), "/api/v1/pipe/a%20b");
 * ```
 */
export function pipePath(name: string): string {
  return `/api/v1/pipe/${name.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * The spectator path of a job (`kind` `job`) or a process (`process`), segments encoded as for
 * {@linkcode pipePath}. A browser asking for it gets the dashboard.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { topicPath } from "./commands.ts";
 * assert.equal(topicPath("job", "ci/build-7"), "/api/v1/jobs/ci/build-7");
 * assert.equal(topicPath("process", "deploy"), "/api/v1/processes/deploy");
 * ```
 */
export function topicPath(kind: "job" | "process", name: string): string {
  const encoded = name.split("/").map(encodeURIComponent).join("/");
  return `/api/v1/${kind === "job" ? "jobs" : "processes"}/${encoded}`;
}

/**
 * Quotes a word for a POSIX shell, only when it needs it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./commands.ts";
 * assert.equal(shellQuote("http://h:1/api/v1/pipe/x"), "http://h:1/api/v1/pipe/x");
 * assert.equal(shellQuote("http://h/x?progress&format=json"), "'http://h/x?progress&format=json'");
 * assert.equal(shellQuote("it's"), "'it'\\''s'");
 * ```
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_.,:/@%+=-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** The curl lines for one pipe on one server. */
export interface PipeCommands {
  send: string;
  receive: string;
  /** Server-Sent Events, one full snapshot per event. */
  events: string;
  /** One JSON snapshot. */
  json: string;
}

/**
 * The curl commands for pipe `name` on the server at `origin`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pipeCommands } from "./commands.ts";
 * const commands = pipeCommands("http://127.0.0.1:8080", "migration");
 * assert.equal(commands.send, "curl -T file.tar http://127.0.0.1:8080/api/v1/pipe/migration");
 * assert.equal(commands.events, "curl -N 'http://127.0.0.1:8080/api/v1/pipe/migration?progress'");
 * ```
 */
export function pipeCommands(origin: string, name: string): PipeCommands {
  const url = origin + pipePath(name);
  return {
    send: `curl -T file.tar ${shellQuote(url)}`,
    receive: `curl -o file.tar ${shellQuote(url)}`,
    events: `curl -N ${shellQuote(`${url}?progress`)}`,
    json: `curl -s ${shellQuote(`${url}?progress&format=json`)}`,
  };
}

/**
 * The curl lines that follow a pipe's progress from its two spectator URLs (which may be
 * relative to `origin`). They are built from the URLs the server gives, not from the name,
 * so a page reached through a watch link never shows the name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spectatorCommands } from "./commands.ts";
 * const lines = spectatorCommands("http://h:1", {
 *   eventsUrl: "/api/v1/pipe/m?progress&format=sse",
 *   jsonUrl: "/api/v1/pipe/m?progress&format=json",
 * });
 * assert.equal(lines.events, "curl -N 'http://h:1/api/v1/pipe/m?progress&format=sse'");
 * assert.equal(lines.json, "curl -s 'http://h:1/api/v1/pipe/m?progress&format=json'");
 * ```
 */
export function spectatorCommands(
  origin: string,
  urls: { eventsUrl: string; jsonUrl: string },
): { events: string; json: string } {
  return {
    events: `curl -N ${shellQuote(new URL(urls.eventsUrl, origin).href)}`,
    json: `curl -s ${shellQuote(new URL(urls.jsonUrl, origin).href)}`,
  };
}

/**
 * A fresh pipe name that nobody else is likely to pick: two groups of four lowercase letters
 * and digits (about 41 bits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomPipeName } from "./commands.ts";
 * assert.match(randomPipeName(), /^[a-z0-9]{4}-[a-z0-9]{4}$/);
 * ```
 */
export function randomPipeName(): string {
  const alphabet = "abcdefghijkmnopqrstuvwxyz23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  const chars = Array.from(bytes, (b) => alphabet[b % alphabet.length]);
  return `${chars.slice(0, 4).join("")}-${chars.slice(4).join("")}`;
}
