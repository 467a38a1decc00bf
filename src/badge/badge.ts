import { textWidth } from "./text_width.ts";

/** The right half of a badge: a few words and their colour. */
export interface BadgeState {
  /** `42%`, `running`, `waiting`, `✓ done`, `✗ failed`… */
  value: string;
  /** A CSS colour (`#4c1`). */
  color: string;
}

/** The usual badge colours. */
export const BADGE_COLORS = {
  done: "#4c1",
  failed: "#e05d44",
  running: "#007ec6",
  waiting: "#9f9f9f",
  label: "#555",
} as const;

function percentText(percent: number): string {
  return `${Math.floor(Math.min(100, Math.max(0, percent)))}%`;
}

/**
 * What a badge says of a topic, from its snapshot (any kind): the percent while a total or a
 * job's `progress` is known, else `running` or `waiting`; at the end `✓ done`, or `✗ failed`
 * (`✗ exit N`, `✗ killed` for a process).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { badgeState } from "./badge.ts";
 * assert.equal(badgeState({ kind: "pipe", state: "streaming", percent: 42.9 }).value, "42%");
 * assert.equal(badgeState({ kind: "pipe", state: "streaming", percent: null }).value, "running");
 * assert.equal(badgeState({ kind: "pipe", state: "idle" }).value, "waiting");
 * assert.equal(badgeState({ kind: "job", state: "running", data: { progress: 7 } }).value, "7%");
 * assert.deepEqual(badgeState({ kind: "job", state: "success" }), { value: "✓ done", color: "#4c1" });
 * assert.equal(badgeState({ kind: "process", status: "exited", exitCode: 2 }).value, "✗ exit 2");
 * ```
 */
export function badgeState(snapshot: unknown): BadgeState {
  const s = (typeof snapshot === "object" && snapshot !== null ? snapshot : {}) as Record<
    string,
    unknown
  >;
  const done = { value: "✓ done", color: BADGE_COLORS.done };
  const failed = (value = "✗ failed") => ({ value, color: BADGE_COLORS.failed });
  const running = (percent: unknown) => ({
    value: typeof percent === "number" && Number.isFinite(percent)
      ? percentText(percent)
      : "running",
    color: BADGE_COLORS.running,
  });
  const waiting = { value: "waiting", color: BADGE_COLORS.waiting };
  if (s.kind === "process") {
    if (s.status === "running") return running(null);
    if (s.status === "exited") return s.exitCode === 0 ? done : failed(`✗ exit ${s.exitCode}`);
    return failed(s.status === "killed" ? "✗ killed" : "✗ failed");
  }
  if (s.kind === "job") {
    if (s.state === "success") return done;
    if (s.state === "failed") return failed();
    const data = s.data as Record<string, unknown> | undefined;
    return running(data?.progress);
  }
  if (s.state === "complete") return done;
  if (s.state === "failed") return failed();
  if (s.state === "streaming") return running(s.percent);
  return waiting;
}

/** Escapes text for XML character data and attribute values; drops what XML cannot hold. */
function escapeXml(text: string): string {
  return text
    // Control characters and lone surrogates are not XML characters at all.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/gu, "")
    .replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}

const XML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** A label longer than this is cut (with `…`): a badge is a glance. */
const MAX_LABEL = 48;

/** Options for {@linkcode badgeSvg}. */
export interface BadgeOptions {
  /** The left half (user input: escaped here). */
  label: string;
  /** The right half. */
  state: BadgeState;
}

/**
 * A flat, shields-style badge: a grey label and a coloured state, 20 px high, as one SVG
 * document with no script, no link and no external reference. Widths come from
 * {@linkcode textWidth}; each text also carries `textLength`, so whatever font the viewer has
 * fills the same box. Every text is XML-escaped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { badgeSvg } from "./badge.ts";
 * const svg = badgeSvg({ label: `<script>"x"</script>`, state: { value: "42%", color: "#007ec6" } });
 * assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+(\.\d)?" height="20"/);
 * assert.equal(svg.includes("<script>"), false);
 * assert.match(svg, /&lt;script&gt;&quot;x&quot;&lt;\/script&gt;/);
 * assert.match(svg, /aria-label="&lt;script&gt;&quot;x&quot;&lt;\/script&gt;: 42%"/);
 * ```
 */
export function badgeSvg(options: BadgeOptions): string {
  const chars = [...options.label];
  const label = chars.length > MAX_LABEL
    ? `${chars.slice(0, MAX_LABEL - 1).join("")}…`
    : options.label;
  const { value, color } = options.state;
  const labelText = textWidth(label);
  const valueText = textWidth(value);
  const pad = 6;
  const left = round(labelText + 2 * pad);
  const right = round(valueText + 2 * pad);
  const width = round(left + right);
  const l = escapeXml(label);
  const v = escapeXml(value);
  const text = (x: number, y: number, length: number, content: string, shadow: boolean) =>
    `<text x="${round(x)}" y="${y}" textLength="${round(length)}" lengthAdjust="spacingAndGlyphs"${
      shadow ? ` fill="#010101" fill-opacity=".3"` : ""
    }>${content}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" viewBox="0 0 ${width} 20" role="img" aria-label="${l}: ${v}">` +
    `<title>${l}: ${v}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${left}" height="20" fill="${BADGE_COLORS.label}"/>` +
    `<rect x="${left}" width="${right}" height="20" fill="${escapeXml(color)}"/>` +
    `<rect width="${width}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` +
    text(left / 2, 15, labelText, l, true) + text(left / 2, 14, labelText, l, false) +
    text(left + right / 2, 15, valueText, v, true) +
    text(left + right / 2, 14, valueText, v, false) +
    `</g></svg>`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
