import { h, render, type VNode } from "preact";
import htm from "htm";

/** htm's one function, typed for how it is used here. */
interface Htm {
  bind(h: unknown): (strings: TemplateStringsArray, ...values: unknown[]) => VNode;
}

/**
 * htm bound to Preact: tagged templates that build Preact elements, with no JSX build step.
 * (htm's types describe a CommonJS default export, which Deno's type checker reads as the
 * module namespace; the value is the same `htm` function in every bundler and runtime.)
 */
export const html = (htm as unknown as Htm).bind(h);

/**
 * What a live dashboard page embeds for its script (`pages.ts` writes it): the pipe's, job's or
 * process's state to paint first, and the URLs to follow it by.
 */
export interface LivePageData<S> {
  snapshot: S;
  eventsUrl: string;
  jsonUrl: string;
}

/**
 * Renders a page's root component into its `<div id="app">`, with the JSON the server embedded
 * in `<script type="application/json" id="ringside-data">` as its props.
 */
export function mountPage<P>(page: (props: P) => VNode): void {
  render(
    html`
      <${page} ...${readPageData<P>()} />
    `,
    document.getElementById("app")!,
  );
}

/** Reads the JSON a page embeds in `<script type="application/json" id="ringside-data">`. */
function readPageData<T>(): T {
  const element = document.getElementById("ringside-data");
  if (element === null) throw new Error("Missing page data 'ringside-data'");
  return JSON.parse(element.textContent ?? "null") as T;
}

/**
 * `url` with the `?token=` of the page's own address, for the page's requests under
 * `--private`. The server never writes a token into a page (its copyable lines must not hand
 * it out); only the requests the script makes carry it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withPageToken } from "./_html.ts";
 * const page = "http://h/api/v1/jobs/a?token=t%201";
 * assert.equal(withPageToken("/api/v1/jobs/a?format=sse", page), "/api/v1/jobs/a?format=sse&token=t+1");
 * assert.equal(withPageToken("/w/x?format=json", "http://h/w/x"), "/w/x?format=json");
 * ```
 */
export function withPageToken(url: string, page: string = globalThis.location?.href ?? ""): string {
  const token = URL.canParse(page) ? new URL(page).searchParams.get("token") : null;
  if (token === null) return url;
  const search = new URLSearchParams({ token }).toString();
  return `${url}${url.includes("?") ? "&" : "?"}${search}`;
}
