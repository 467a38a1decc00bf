import { h, type VNode } from "preact";
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

/** Reads the JSON a page embeds in `<script type="application/json" id="ringside-data">`. */
export function readPageData<T>(): T {
  const element = document.getElementById("ringside-data");
  if (element === null) throw new Error("Missing page data 'ringside-data'");
  return JSON.parse(element.textContent ?? "null") as T;
}
