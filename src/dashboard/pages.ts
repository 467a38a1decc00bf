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

/** Options for {@linkcode dashboardPage}. */
export interface DashboardPageOptions {
  /** The pipe's current state; the page paints it before its event stream connects. */
  snapshot: PipeSnapshot;
  /** The pipe's SSE URL, relative or absolute (`/api/v1/pipe/NAME?progress&format=sse`). */
  eventsUrl: string;
  /** The pipe's JSON snapshot URL (`/api/v1/pipe/NAME?progress&format=json`). */
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
  const { snapshot, eventsUrl, jsonUrl, origin, embed } = options;
  const view = describePipe(initialModel(snapshot, 0), 0);
  const commands = spectatorCommands(origin, { eventsUrl, jsonUrl });
  const fallback = `<noscript><main class="page">
<h1>${escapeHtml(snapshot.name)}</h1>
<p>${escapeHtml(`${view.label}: ${view.big} · ${view.bytesText}`)}</p>
${view.error === null ? "" : `<p class="alert">${escapeHtml(view.error)}</p>`}
<p>This page updates itself with JavaScript. Without it, follow the pipe with:</p>
<pre>${escapeHtml(commands.events)}</pre><pre>${escapeHtml(commands.json)}</pre>
</main></noscript>`;
  return htmlDocument({
    title: view.title,
    assets: dashboardAssets,
    data: { snapshot, eventsUrl, jsonUrl },
    fallback,
    embed,
  });
}

/** Options for {@linkcode jobDashboardPage}. */
export interface JobDashboardPageOptions {
  /** The job's current state; the page paints it before its event stream connects. */
  snapshot: JobSnapshot;
  /** The job's SSE URL (`progress`, `complete`, `error`, `timeout` events). */
  eventsUrl: string;
  /** The job's JSON snapshot URL; the page polls it for the watcher count. */
  jsonUrl: string;
  /** This server as the request reached it, for the no-script curl lines. */
  origin: string;
  /**
   * The live card alone, for another site's `<iframe>` (`?embed`): no header, no script
   * commands, a transparent page. @default false
   */
  embed?: boolean | undefined;
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
  const { snapshot, eventsUrl, jsonUrl, origin, embed } = options;
  const view = describeJob(initialJobModel(snapshot, 0), 0);
  const commands = spectatorCommands(origin, { eventsUrl, jsonUrl });
  const result = view.result === null
    ? ""
    : `<dl>${
      view.result.map((e) => `<dt>${escapeHtml(e.key)}</dt><dd>${escapeHtml(e.value)}</dd>`).join(
        "",
      )
    }</dl>`;
  const fallback = `<noscript><main class="page">
<h1>${escapeHtml(snapshot.id)}</h1>
<p>${
    escapeHtml(`${view.label}: ${view.big}${view.message === null ? "" : ` · ${view.message}`}`)
  }</p>
${view.error === null ? "" : `<p class="alert">${escapeHtml(view.error)}</p>`}${result}
<p>This page updates itself with JavaScript. Without it, follow the job with:</p>
<pre>${escapeHtml(commands.events)}</pre><pre>${escapeHtml(commands.json)}</pre>
</main></noscript>`;
  return htmlDocument({
    title: view.title,
    assets: jobAssets,
    data: { snapshot, eventsUrl, jsonUrl },
    fallback,
    embed,
  });
}

/** Options for {@linkcode processDashboardPage}. */
export interface ProcessDashboardPageOptions {
  /** The process's current state and last lines; the page paints them at once. */
  snapshot: ProcessSnapshot;
  /** The process's SSE URL (`output`, `status`, `gap` events). */
  eventsUrl: string;
  /** The process's JSON snapshot URL; the page polls it for the watcher count. */
  jsonUrl: string;
  /** This server as the request reached it, for the no-script curl lines. */
  origin: string;
  /**
   * The live card alone, for another site's `<iframe>` (`?embed`): no header, no script
   * commands, a transparent page. @default false
   */
  embed?: boolean | undefined;
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
  const { snapshot, eventsUrl, jsonUrl, origin, embed } = options;
  const view = describeProcess(initialProcessModel(snapshot, 0), 0);
  const commands = spectatorCommands(origin, { eventsUrl, jsonUrl });
  const tail = snapshot.tail.map((l) => parseAnsi(l.line).spans.map((s) => s.text).join(""));
  const fallback = `<noscript><main class="page">
<h1>${escapeHtml(snapshot.id)}</h1>
<p>${escapeHtml(`${view.badge} · ${view.linesText} lines · ${view.elapsedText}`)}</p>
<pre>${escapeHtml(tail.join("\n"))}</pre>
<p>This page updates itself with JavaScript. Without it, follow the process with:</p>
<pre>${escapeHtml(commands.events)}</pre><pre>${escapeHtml(commands.json)}</pre>
</main></noscript>`;
  return htmlDocument({
    title: view.title,
    assets: processAssets,
    data: { snapshot, eventsUrl, jsonUrl },
    fallback,
    embed,
  });
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
