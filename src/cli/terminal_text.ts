/**
 * Text from a server (a process's lines, a job's error and words) made safe to write to the
 * watcher's terminal.
 *
 * @module
 */

/** Options for {@linkcode terminalText}. */
export interface TerminalTextOptions {
  /**
   * Keep colours and text attributes (SGR, `ESC[…m`): only when the output is a terminal. Off,
   * the text has no escape sequence at all.
   */
  colors: boolean;
  /** Tabs and newlines become spaces, for a line redrawn in place. @default false */
  oneLine?: boolean;
}

const ESC = 0x1b;
const BEL = 0x07;

/**
 * `text` with what a terminal would run rather than show taken out, so that what someone
 * published can neither set the watcher's clipboard (OSC 52) or title (OSC 0), nor clear or
 * move around the screen, nor answer back through the terminal: every escape sequence goes
 * (CSI, OSC, DCS, SOS, PM, APC with their strings up to BEL or ST, two-character and nF
 * sequences, a lone ESC), their 8-bit C1 forms (U+009B CSI, U+009D OSC…) with them, and every
 * other control character (C0 but tab and newline, DEL, C1); an unterminated sequence takes the
 * rest of the text with it. Colours (SGR: `ESC[` digits, `;` and `:`, then `m`) are kept only
 * with `colors`. A carriage return with more text after it on its line starts the line over,
 * as a terminal shows a progress counter that redraws itself (`10%\r20%` shows `20%`); the
 * colours set before it stay. This is the rule the dashboard's terminal view follows (`ansi.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { terminalText } from "./terminal_text.ts";
 * const line = "\x1b[31merror\x1b[0m \x1b]52;c;cm0gLXJmIH4=\x07\x1b[2Jdone";
 * assert.equal(terminalText(line, { colors: true }), "\x1b[31merror\x1b[0m done");
 * assert.equal(terminalText(line, { colors: false }), "error done");
 * assert.equal(terminalText("10%\r20%", { colors: false }), "20%");
 * assert.equal(terminalText("a\tb\nc", { colors: false, oneLine: true }), "a b c");
 * ```
 */
export function terminalText(text: string, options: TerminalTextOptions): string {
  const { colors, oneLine = false } = options;
  // `done`: the lines before this one, and the colours a carriage return left of this one;
  // `line`: this line's text and (with colours) SGR sequences since. Each piece moves once.
  const done: string[] = [];
  let line: { text: string; sgr: boolean }[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    // The 7-bit introducer after ESC, or the one an 8-bit C1 control stands for (U+009B: `[`).
    const introducer = code === ESC
      ? text.charCodeAt(i + 1)
      : between(code, 0x80, 0x9f)
      ? code - 0x40
      : -1;
    const start = code === ESC ? i + 2 : i + 1;
    if (introducer === 0x5b) {
      // CSI: parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, one final byte 0x40–0x7E.
      let j = start;
      while (j < n && between(text.charCodeAt(j), 0x30, 0x3f)) j++;
      const params = text.slice(start, j);
      while (j < n && between(text.charCodeAt(j), 0x20, 0x2f)) j++;
      if (j >= n) break;
      const sgr = code === ESC && text[j] === "m" && j === start + params.length &&
        /^[0-9;:]*$/.test(params);
      if (colors && sgr) {
        line.push({ text: text.slice(i, j + 1), sgr: true });
      }
      i = j + 1;
    } else if (
      introducer === 0x5d || introducer === 0x50 || introducer === 0x58 || introducer === 0x5e ||
      introducer === 0x5f
    ) {
      // OSC, DCS, SOS, PM, APC: a string ended by BEL, ST (ESC \) or its 8-bit form U+009C.
      let j = start;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === BEL || c === 0x9c || (c === ESC && text.charCodeAt(j + 1) === 0x5c)) break;
        j++;
      }
      if (j >= n) break;
      i = text.charCodeAt(j) === ESC ? j + 2 : j + 1;
    } else if (code === ESC) {
      // Two-character and nF sequences (ESC c, ESC 7, ESC ( B…): intermediates, then a final.
      let j = i + 1;
      while (j < n && between(text.charCodeAt(j), 0x20, 0x2f)) j++;
      i = j + 1;
    } else if (code === 0x0d) {
      // Before a newline (CRLF) or at the end, it ends the line rather than redrawing it.
      if (i + 1 < n && text.charCodeAt(i + 1) !== 0x0a) {
        for (const part of line) if (part.sgr) done.push(part.text);
        line = [];
      }
      i++;
    } else if (code === 0x0a) {
      for (const part of line) done.push(part.text);
      done.push(oneLine ? " " : "\n");
      line = [];
      i++;
    } else if (code === 0x09) {
      line.push({ text: oneLine ? " " : "\t", sgr: false });
      i++;
    } else if (code < 0x20 || between(code, 0x7f, 0x9f)) {
      i++;
    } else {
      let j = i + 1;
      while (j < n && plain(text.charCodeAt(j))) j++;
      line.push({ text: text.slice(i, j), sgr: false });
      i = j;
    }
  }
  return done.join("") + line.map((part) => part.text).join("");
}

function between(code: number, low: number, high: number): boolean {
  return code >= low && code <= high;
}

function plain(code: number): boolean {
  return code >= 0x20 && !between(code, 0x7f, 0x9f);
}
