import { HttpError } from "../http_error.ts";
import { type StaticFile, staticFiles } from "./_static.generated.ts";
import type { RouteHandler } from "./router.ts";

/**
 * How long a browser may use a static file before asking again. The URLs carry no version, so
 * this stays short enough for a new release to show within a day; after it, the ETag makes the
 * question cheap (`304`, no body).
 */
const maxAgeSeconds = 86_400;

/**
 * The files of `static/`, embedded at build time (`src/http/_static.generated.ts`), from
 * memory: `GET /static/{file}`, plus `/favicon.ico` (the SVG icon, which browsers take whatever
 * the name says) and `/robots.txt` (disallow all: a pipe's name is its secret). Each answer has
 * a strong ETag and `Cache-Control: public, max-age=86400`; `If-None-Match` gets `304`. An
 * unknown file under `/static/` is `404` with a one-line message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { staticHandlers } from "./static_routes.ts";
 * const { favicon } = staticHandlers();
 * const app = new Hono().get("/favicon.ico", (c) => favicon(c as never, null as never));
 * const icon = await app.request("/favicon.ico");
 * assert.equal(icon.headers.get("content-type"), "image/svg+xml");
 * ```
 */
export function staticHandlers(): {
  favicon: RouteHandler;
  robots: RouteHandler;
  file: RouteHandler;
} {
  return {
    favicon: (c) => serve(c.req.raw, staticFiles["favicon.svg"]!),
    robots: (c) => serve(c.req.raw, staticFiles["robots.txt"]!),
    file: (c) => {
      const name = c.req.param("file") ?? "";
      const file = Object.hasOwn(staticFiles, name) ? staticFiles[name] : undefined;
      if (!file) throw new HttpError(404, `No static file '${name}'`);
      return serve(c.req.raw, file);
    },
  };
}

function serve(request: Request, file: StaticFile): Response {
  const headers = {
    "cache-control": `public, max-age=${maxAgeSeconds}`,
    etag: file.etag,
    "x-content-type-options": "nosniff",
  };
  const match = request.headers.get("if-none-match");
  if (match && match.split(",").some((tag) => tag.trim().replace(/^W\//, "") === file.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(file.body, { headers: { ...headers, "content-type": file.type } });
}
