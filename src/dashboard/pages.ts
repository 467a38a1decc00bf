/**
 * The HTML pages ringside serves to browsers: the live dashboards of a pipe, a job and a
 * process, and the front page. Each is one self-contained document: the Preact client and its
 * styles (`static/*.css`) are inlined from `_bundle.generated.ts` (built by
 * `scripts/build_dashboard.ts`), and a Content-Security-Policy pins them by hash and lets the page
 * talk to its own origin only. The favicon and the web app manifest (so a phone can put the page
 * on its home screen) come from this server's `/static/`.
 *
 * @module
 */

import type { JobSnapshot, PipeSnapshot, ProcessSnapshot } from "../progress/snapshot.ts";
import {
  dashboardAssets,
  frontAssets,
  jobAssets,
  type PageAssets,
  processAssets,
} from "./_bundle.generated.ts";
import { parseAnsi } from "./client/ansi.ts";
import { pipeCommands, spectatorCommands } from "./client/commands.ts";
import { describeJob, initialJobModel } from "./client/job_view.ts";
import { describePipe, initialModel } from "./client/pipe_view.ts";
import { describeProcess, initialProcessModel } from "./client/process_view.ts";

/**
 * Options of a live dashboard page: {@linkcode dashboardPage}, {@linkcode jobDashboardPage} and
 * {@linkcode processDashboardPage}.
 */
export interface LivePageOptions<S> {
  /** The pipe's, job's or process's current state; the page paints it before its stream connects. */
  snapshot: S;
  /**
   * The SSE URL, relative or absolute (`/api/v1/pipe/NAME?progress&format=sse`; a job's
   * `progress`, `complete`, `error`, `timeout` events; a process's `output`, `status`, `gap`).
   */
  eventsUrl: string;
  /**
   * The JSON snapshot URL (`/api/v1/pipe/NAME?progress&format=json`); the job and process pages
   * poll it for the watcher count.
   */
  jsonUrl: string;
  /**
   * This server as the request reached it (`http://127.0.0.1:8080`), for the absolute curl
   * lines of the no-script fallback. In the browser the page uses `location.origin`, which
   * stays right behind a reverse proxy.
   */
  origin: string;
  /**
   * The live card alone, for another site's `<iframe>` (`?embed`): no header, no script
   * commands, a transparent page. @default false
   */
  embed?: boolean | undefined;
}

/** Options for {@linkcode dashboardPage}. */
export type DashboardPageOptions = LivePageOptions<PipeSnapshot>;

/** Options for {@linkcode jobDashboardPage}. */
export type JobDashboardPageOptions = LivePageOptions<JobSnapshot>;

/** Options for {@linkcode processDashboardPage}. */
export type ProcessDashboardPageOptions = LivePageOptions<ProcessSnapshot>;

/**
 * The live dashboard of a pipe: a complete HTML document that shows `snapshot` at first paint
 * and then follows `eventsUrl` until the transfer ends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dashboardPage } from "./pages.ts";
 * import { exampleSnapshot } from "./client/_example_snapshot.ts";
 * const page = dashboardPage({
 *   snapshot: exampleSnapshot({ name: "migration" }),
 *   eventsUrl: "/api/v1/pipe/migration?progress&format=sse",
 *   jsonUrl: "/api/v1/pipe/migration?progress&format=json",
 *   origin: "http://127.0.0.1:8080",
 * });
 * assert.match(page, /<title>61% · migration<\/title>/);
 * ```
 */
export function dashboardPage(options: DashboardPageOptions): string {
  const { snapshot } = options;
  const view = describePipe(initialModel(snapshot, 0), 0);
  return livePage(options, {
    kind: "pipe",
    name: snapshot.name,
    title: view.title,
    assets: dashboardAssets,
    summary: `<p>${escapeHtml(`${view.label}: ${view.big} · ${view.bytesText}`)}</p>
${alertLine(view.error)}`,
  });
}

/**
 * The live dashboard of a job: a complete HTML document that shows `snapshot` at first paint
 * and then follows `eventsUrl` until the job ends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobDashboardPage } from "./pages.ts";
 * import { exampleJob } from "./client/_example_snapshot.ts";
 * const page = jobDashboardPage({
 *   snapshot: exampleJob({ id: "transcode-42" }),
 *   eventsUrl: "/api/v1/jobs/transcode-42?format=sse",
 *   jsonUrl: "/api/v1/jobs/transcode-42?format=json",
 *   origin: "http://127.0.0.1:8080",
 * });
 * assert.match(page, /<title>40% · transcode-42<\/title>/);
 * ```
 */
export function jobDashboardPage(options: JobDashboardPageOptions): string {
  const { snapshot } = options;
  const view = describeJob(initialJobModel(snapshot, 0), 0);
  const result = view.result === null
    ? ""
    : `<dl>${
      view.result.map((e) => `<dt>${escapeHtml(e.key)}</dt><dd>${escapeHtml(e.value)}</dd>`).join(
        "",
      )
    }</dl>`;
  const message = view.message === null ? "" : ` · ${view.message}`;
  return livePage(options, {
    kind: "job",
    name: snapshot.id,
    title: view.title,
    assets: jobAssets,
    summary: `<p>${escapeHtml(`${view.label}: ${view.big}${message}`)}</p>
${alertLine(view.error)}${result}`,
  });
}

/**
 * The live terminal view of a process: a complete HTML document that shows the snapshot's
 * tail at first paint and then follows `eventsUrl` until a final status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processDashboardPage } from "./pages.ts";
 * import { exampleProcess } from "./client/_example_snapshot.ts";
 * const page = processDashboardPage({
 *   snapshot: exampleProcess({ status: "exited", exitCode: 7 }),
 *   eventsUrl: "/api/v1/processes/build-1?format=sse",
 *   jsonUrl: "/api/v1/processes/build-1?format=json",
 *   origin: "http://127.0.0.1:8080",
 * });
 * assert.match(page, /<title>✗ exited 7 · build-1<\/title>/);
 * ```
 */
export function processDashboardPage(options: ProcessDashboardPageOptions): string {
  const { snapshot } = options;
  const view = describeProcess(initialProcessModel(snapshot, 0), 0);
  const tail = snapshot.tail.map((l) => parseAnsi(l.line).spans.map((s) => s.text).join(""));
  return livePage(options, {
    kind: "process",
    name: snapshot.id,
    title: view.title,
    assets: processAssets,
    summary: `<p>${escapeHtml(`${view.badge} · ${view.linesText} lines · ${view.elapsedText}`)}</p>
<pre>${escapeHtml(tail.join("\n"))}</pre>`,
  });
}

/** What one kind of live page brings to {@linkcode livePage}. */
interface LivePage {
  kind: "pipe" | "job" | "process";
  /** The pipe's name, the job's or the process's id: the no-script heading. */
  name: string;
  title: string;
  assets: PageAssets;
  /** The no-script state, as HTML lines (their text escaped). */
  summary: string;
}

/**
 * A live dashboard page: the client with the snapshot and URLs it starts from, and a no-script
 * summary that says how to follow the pipe, job or process with curl.
 */
function livePage(options: LivePageOptions<unknown>, page: LivePage): string {
  const { snapshot, eventsUrl, jsonUrl, origin, embed } = options;
  const commands = spectatorCommands(origin, { eventsUrl, jsonUrl });
  const fallback = `<noscript><main class="page">
<h1>${escapeHtml(page.name)}</h1>
${page.summary}
<p>This page updates itself with JavaScript. Without it, follow the ${page.kind} with:</p>
<pre>${escapeHtml(commands.events)}</pre><pre>${escapeHtml(commands.json)}</pre>
</main></noscript>`;
  return htmlDocument({
    title: page.title,
    assets: page.assets,
    data: { snapshot, eventsUrl, jsonUrl },
    fallback,
    embed,
  });
}

/** The no-script line that says why it failed, or nothing. */
function alertLine(error: string | null): string {
  return error === null ? "" : `<p class="alert">${escapeHtml(error)}</p>`;
}

/**
 * The front page: what ringside is, the curl lines for this server, and forms to send,
 * receive and watch a pipe from the browser.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frontPage } from "./pages.ts";
 * const page = frontPage({ origin: "http://127.0.0.1:8080" });
 * assert.match(page, /curl -T file.tar http:\/\/127\.0\.0\.1:8080\/api\/v1\/pipe\/NAME/);
 * ```
 */
export function frontPage(options: { origin: string }): string {
  const commands = pipeCommands(options.origin, "NAME");
  const fallback = `<noscript><main class="page">
<h1>ringside</h1>
<p>Send bytes from one machine to another through this server with plain HTTP: curl on both sides.</p>
<pre>${escapeHtml(commands.send)}</pre>
<pre>${escapeHtml(commands.receive)}</pre>
<p>Watch a transfer live:</p>
<pre>${escapeHtml(commands.events)}</pre>
</main></noscript>`;
  return htmlDocument({ title: "ringside", assets: frontAssets, data: {}, fallback });
}

function htmlDocument(
  page: {
    title: string;
    assets: PageAssets;
    data: unknown;
    fallback: string;
    embed?: boolean | undefined;
  },
): string {
  const { assets } = page;
  const policy = [
    "default-src 'none'",
    `script-src '${assets.scriptHash}'`,
    `style-src '${assets.styleHash}'`,
    // The favicon and the web app manifest (static/, served by this server).
    "img-src 'self'",
    "manifest-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
  // Embedded, the page keeps the embedding page's colour scheme (a differing one would paint an
  // opaque backdrop behind the transparent page); the card follows prefers-color-scheme.
  return `<!doctype html>
<html lang="en"${page.embed ? ` class="embed"` : ""}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="${page.embed ? "normal" : "light dark"}">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">
<title>${escapeHtml(page.title)}</title>
<meta name="theme-color" content="#1f5fd6">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="manifest" href="/static/manifest.webmanifest">
<style>${assets.style}</style>
</head>
<body>
${page.fallback}
<div id="app"></div>
<script type="application/json" id="ringside-data">${jsonForScript(page.data)}</script>
<script>${assets.script}</script>
</body>
</html>
`;
}

/**
 * Escapes text for an HTML text node or a quoted attribute value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./pages.ts";
 * assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEntities[c]!);
}

const htmlEntities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * JSON for the inside of a `<script type="application/json">`: every `<` is escaped, so the
 * data can neither close the element nor open a comment, and `JSON.parse` reads it unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonForScript } from "./pages.ts";
 * const text = jsonForScript({ error: "</script><script>alert(1)</script>" });
 * assert.equal(text.includes("<"), false);
 * assert.deepEqual(JSON.parse(text), { error: "</script><script>alert(1)</script>" });
 * ```
 */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(/</g, "\\u003c");
}
