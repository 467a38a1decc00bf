/**
 * ANSI SGR ("Select Graphic Rendition") escape sequences to styled text spans, for the process
 * terminal view. Colours (16, 256 and 24-bit, foreground and background), bold, dim, italic,
 * underline, inverse and strike-through are kept; every other escape sequence (cursor moves,
 * erase, titles, hyperlinks, private modes) and every control character but the tab is
 * removed. The output is text and style data only: the page renders it as text nodes, so a
 * line can never inject markup.
 *
 * @module
 */

/** A palette index 0–255, or a 24-bit colour as `#rrggbb`. */
export type AnsiColor = number | string;

/** The graphic rendition in effect. Immutable: every change makes a new object. */
export interface AnsiStyle {
  readonly fg: AnsiColor | null;
  readonly bg: AnsiColor | null;
  readonly bold: boolean;
  readonly dim: boolean;
  readonly italic: boolean;
  readonly underline: boolean;
  readonly inverse: boolean;
  readonly strike: boolean;
}

/** A run of text in one style. */
export interface AnsiSpan {
  text: string;
  style: AnsiStyle;
}

/** No colour, no attribute: what `ESC[0m` returns to. */
export const plainStyle: AnsiStyle = Object.freeze({
  fg: null,
  bg: null,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  inverse: false,
  strike: false,
});

const ESC = "\u001b";

/**
 * Parses one line. `start` is the style in effect before it (programs may set a colour on one
 * line and reset it on a later one); `end` is the style after it, for the next line of the
 * same stream. A carriage return inside the line starts it over, as a terminal would show
 * a progress counter that redraws itself (`10%\r20%` shows `20%`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAnsi, plainStyle } from "./ansi.ts";
 * const { spans, end } = parseAnsi("\u001b[1;31merror:\u001b[0m it broke\u001b[2K");
 * assert.deepEqual(spans.map((s) => s.text), ["error:", " it broke"]);
 * assert.equal(spans[0]!.style.fg, 1);
 * assert.equal(spans[0]!.style.bold, true);
 * assert.equal(spans[1]!.style, plainStyle);
 * assert.equal(end, plainStyle);
 * ```
 */
export function parseAnsi(
  line: string,
  start: AnsiStyle = plainStyle,
): { spans: AnsiSpan[]; end: AnsiStyle } {
  const spans: AnsiSpan[] = [];
  let style = start;
  let text = "";
  function flush() {
    if (text === "") return;
    const last = spans[spans.length - 1];
    if (last !== undefined && last.style === style) last.text += text;
    else spans.push({ text, style });
    text = "";
  }
  let i = 0;
  const n = line.length;
  while (i < n) {
    const code = line.charCodeAt(i);
    if (code === 0x1b) {
      const next = line[i + 1];
      if (next === "[") {
        // CSI: parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, one final byte.
        let j = i + 2;
        while (j < n && isBetween(line.charCodeAt(j), 0x30, 0x3f)) j++;
        const params = line.slice(i + 2, j);
        while (j < n && isBetween(line.charCodeAt(j), 0x20, 0x2f)) j++;
        if (j >= n) break; // unterminated: drop the rest
        const final = line[j];
        if (final === "m" && j === i + 2 + params.length && !/^[<=>?]/.test(params)) {
          const next = applySgr(style, params);
          if (next !== style) {
            flush();
            style = next;
          }
        }
        i = j + 1;
      } else if (next === "]" || next === "P" || next === "X" || next === "^" || next === "_") {
        // OSC, DCS, SOS, PM, APC: a string ended by BEL (OSC) or ST (ESC \).
        let j = i + 2;
        while (j < n && line[j] !== "\u0007" && !(line[j] === ESC && line[j + 1] === "\\")) j++;
        i = j >= n ? n : line[j] === "\u0007" ? j + 1 : j + 2;
      } else {
        // Two-character and nF sequences (ESC ( B, ESC =, ESC 7 …): intermediates, then a final.
        let j = i + 1;
        while (j < n && isBetween(line.charCodeAt(j), 0x20, 0x2f)) j++;
        i = Math.min(n, j + 1);
      }
      continue;
    }
    if (code === 0x0d) {
      // A carriage return with more to come redraws the line from its start.
      if (i + 1 < n) {
        spans.length = 0;
        text = "";
      }
      i++;
      continue;
    }
    if (code === 0x08) {
      text = text.slice(0, -1);
      i++;
      continue;
    }
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || isBetween(code, 0x80, 0x9f)) {
      i++;
      continue;
    }
    // Copy the longest run of plain characters at once.
    let j = i + 1;
    while (j < n && isPlain(line.charCodeAt(j))) j++;
    text += line.slice(i, j);
    i = j;
  }
  flush();
  return { spans, end: style };
}

function isBetween(code: number, low: number, high: number): boolean {
  return code >= low && code <= high;
}

function isPlain(code: number): boolean {
  return (code >= 0x20 && code !== 0x7f && !isBetween(code, 0x80, 0x9f)) || code === 0x09;
}

/**
 * Applies the parameters of one SGR sequence (`1;38;5;208`, `38:2::255:128:0`, or empty for a
 * reset) to a style. Unknown parameters are ignored, as terminals do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applySgr, plainStyle } from "./ansi.ts";
 * assert.equal(applySgr(plainStyle, "38;5;208").fg, 208);
 * assert.equal(applySgr(plainStyle, "48;2;255;128;0").bg, "#ff8000");
 * assert.equal(applySgr(applySgr(plainStyle, "1;4"), "22").bold, false);
 * assert.equal(applySgr(applySgr(plainStyle, "31"), ""), plainStyle);
 * ```
 */
export function applySgr(style: AnsiStyle, params: string): AnsiStyle {
  const next = { ...style };
  const parts = params === "" ? ["0"] : params.split(";");
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    // Colon sub-parameters (ITU T.416): everything for this attribute is in one part.
    const sub = part.split(":");
    const p = sub[0] === "" ? 0 : Number(sub[0]);
    if (!Number.isInteger(p)) continue;
    if (p === 38 || p === 48 || p === 58) {
      let color: AnsiColor | null | undefined;
      if (sub.length > 1) {
        color = extendedColor(sub.slice(1), true);
      } else {
        const rest = parts.slice(k + 1);
        color = extendedColor(rest, false);
        k += rest[0] === "5" ? 2 : rest[0] === "2" ? 4 : 0;
      }
      if (color === undefined || p === 58) continue; // 58: underline colour, not shown
      if (p === 38) next.fg = color;
      else next.bg = color;
      continue;
    }
    if (p === 0) Object.assign(next, plainStyle);
    else if (p === 1) next.bold = true;
    else if (p === 2) next.dim = true;
    else if (p === 3) next.italic = true;
    else if (p === 4) next.underline = sub[1] !== "0";
    else if (p === 7) next.inverse = true;
    else if (p === 9) next.strike = true;
    else if (p === 21) next.underline = true;
    else if (p === 22) next.bold = next.dim = false;
    else if (p === 23) next.italic = false;
    else if (p === 24) next.underline = false;
    else if (p === 27) next.inverse = false;
    else if (p === 29) next.strike = false;
    else if (p >= 30 && p <= 37) next.fg = p - 30;
    else if (p === 39) next.fg = null;
    else if (p >= 40 && p <= 47) next.bg = p - 40;
    else if (p === 49) next.bg = null;
    else if (p >= 90 && p <= 97) next.fg = p - 90 + 8;
    else if (p >= 100 && p <= 107) next.bg = p - 100 + 8;
  }
  return sameStyle(next, plainStyle) ? plainStyle : sameStyle(next, style) ? style : next;
}

/**
 * `5;N` or `2;R;G;B` (after 38/48). With colons, `2` may carry a colour-space id first
 * (`2::R:G:B` or `2:ID:R:G:B`). `undefined` when malformed.
 */
function extendedColor(args: string[], colons: boolean): AnsiColor | undefined {
  if (args[0] === "5") {
    const index = Number(args[1]);
    return Number.isInteger(index) && index >= 0 && index <= 255 && args[1] !== ""
      ? index
      : undefined;
  }
  if (args[0] === "2") {
    const rgb = colons && args.length >= 5 ? args.slice(2, 5) : args.slice(1, 4);
    if (rgb.length !== 3) return undefined;
    const values = rgb.map((v) => (v === "" ? Number.NaN : Number(v)));
    if (!values.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) return undefined;
    return `#${values.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
  }
  return undefined;
}

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return a.fg === b.fg && a.bg === b.bg && a.bold === b.bold && a.dim === b.dim &&
    a.italic === b.italic && a.underline === b.underline && a.inverse === b.inverse &&
    a.strike === b.strike;
}

const cubeLevels = [0, 95, 135, 175, 215, 255];

/**
 * A colour as CSS: the 16 base colours as the page's theme variables (`var(--ansi-1)`), so they
 * stay readable in light and dark mode; the 256-colour cube and greys and 24-bit colours as
 * `#rrggbb`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { colorCss } from "./ansi.ts";
 * assert.equal(colorCss(1), "var(--ansi-1)");
 * assert.equal(colorCss(208), "#ff8700");
 * assert.equal(colorCss(244), "#808080");
 * assert.equal(colorCss("#ff8000"), "#ff8000");
 * ```
 */
export function colorCss(color: AnsiColor): string {
  if (typeof color === "string") return color;
  if (color < 16) return `var(--ansi-${color})`;
  if (color >= 232) {
    const v = (8 + 10 * (color - 232)).toString(16).padStart(2, "0");
    return `#${v}${v}${v}`;
  }
  const i = color - 16;
  const rgb = [Math.floor(i / 36), Math.floor(i / 6) % 6, i % 6];
  return `#${rgb.map((c) => cubeLevels[c]!.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * The inline CSS (as CSSOM properties, which a Content-Security-Policy allows) for a style, or
 * `null` for plain text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applySgr, plainStyle, spanCss } from "./ansi.ts";
 * assert.equal(spanCss(plainStyle), null);
 * assert.deepEqual(spanCss(applySgr(plainStyle, "1;4;32")), {
 *   color: "var(--ansi-2)",
 *   fontWeight: "700",
 *   textDecoration: "underline",
 * });
 * assert.deepEqual(spanCss(applySgr(plainStyle, "7")), {
 *   color: "var(--term-bg)",
 *   backgroundColor: "var(--term-fg)",
 * });
 * ```
 */
export function spanCss(style: AnsiStyle): Record<string, string> | null {
  if (style === plainStyle) return null;
  let fg = style.fg === null ? null : colorCss(style.fg);
  let bg = style.bg === null ? null : colorCss(style.bg);
  if (style.inverse) {
    [fg, bg] = [bg ?? "var(--term-bg)", fg ?? "var(--term-fg)"];
  }
  const css: Record<string, string> = {};
  if (fg !== null) css.color = fg;
  if (bg !== null) css.backgroundColor = bg;
  if (style.bold) css.fontWeight = "700";
  if (style.dim) css.opacity = "0.65";
  if (style.italic) css.fontStyle = "italic";
  const decorations = [style.underline ? "underline" : "", style.strike ? "line-through" : ""]
    .filter(Boolean);
  if (decorations.length > 0) css.textDecoration = decorations.join(" ");
  return Object.keys(css).length === 0 ? null : css;
}
