/**
 * The lines a process page holds: ordered by `seq`, each line once however often it arrives
 * (the embedded tail, the server's history on every (re)connect, live lines), bounded in
 * memory, with markers where lines are missing.
 *
 * @module
 */

import type { ProcessLine } from "../../progress/snapshot.ts";
import { type AnsiStyle, parseAnsi, plainStyle } from "./ansi.ts";

/** A line in the terminal view. */
export interface TerminalLine extends ProcessLine {
  /** The graphic rendition in effect when this line starts (colours may span lines). */
  style: AnsiStyle;
}

/** A marker for lines this page will never show: `missed` of them, after line `seq`. */
export interface TerminalGap {
  seq: number;
  stream: "gap";
  missed: number;
}

/** One row of the terminal view. */
export type TerminalEntry = TerminalLine | TerminalGap;

/** Options for {@linkcode LineBuffer}. */
export interface LineBufferOptions {
  /** Rows kept; the oldest go first. @default 50000 */
  maxEntries?: number;
  /**
   * Characters kept over all rows, so that long lines cannot exhaust the tab's memory (the
   * server splits lines at 64 KiB: 50,000 of those would be 3 GB). @default 20000000
   */
  maxChars?: number;
}

/**
 * An append-mostly list of terminal rows.
 *
 * - A line whose `seq` is already here is dropped.
 * - A line after the last one is appended; if its `seq` skips numbers that no `gap` event
 *   announced (a reconnect whose history did not reach back far enough), a gap marker is
 *   put before it.
 * - A line older than the first one appended (the server's history arriving after the page's
 *   shorter embedded tail) is inserted in order, while there is room.
 * - A `gap` event adds a marker at the end and excuses that many skipped numbers.
 * - Past `maxEntries` rows or `maxChars` characters the oldest rows are dropped, in batches so
 *   that the cost stays O(1) per
 *   line on average.
 *
 * `version` changes whenever the rows change, for a view to know when to draw.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineBuffer } from "./line_buffer.ts";
 * const buffer = new LineBuffer();
 * buffer.add({ seq: 2, stream: "stdout", line: "b" });
 * buffer.add({ seq: 1, stream: "stdout", line: "a" });
 * buffer.add({ seq: 2, stream: "stdout", line: "b" });
 * buffer.add({ seq: 5, stream: "stderr", line: "e" });
 * assert.deepEqual(buffer.entries.map((e) => e.stream === "gap" ? `gap ${e.missed}` : e.line), [
 *   "a", "b", "gap 2", "e",
 * ]);
 * ```
 */
export class LineBuffer {
  /** The rows, oldest first. Read-only for callers. */
  readonly entries: TerminalEntry[] = [];
  #max: number;
  #maxChars: number;
  #chars = 0;
  #lastSeq = 0;
  /** The first line that was appended: older ones may still arrive and go before it. */
  #head = Number.POSITIVE_INFINITY;
  #excused = 0;
  #version = 0;
  /** Each stream's style after its last line (programs colour their own stream). */
  #styles: Record<"stdout" | "stderr", AnsiStyle> = { stdout: plainStyle, stderr: plainStyle };

  constructor(options: LineBufferOptions = {}) {
    this.#max = Math.max(1, options.maxEntries ?? 50_000);
    this.#maxChars = Math.max(1, options.maxChars ?? 20_000_000);
  }

  /** Changes whenever `entries` changes. */
  get version(): number {
    return this.#version;
  }

  /** The highest `seq` seen (0 before any line). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Lines before the first row held: never received, or dropped to bound memory. */
  get earlier(): number {
    const first = this.entries[0];
    if (first === undefined) return 0;
    return first.stream === "gap" ? first.seq : first.seq - 1;
  }

  /** Adds one line; returns whether it was new. */
  add(line: ProcessLine): boolean {
    if (!Number.isInteger(line.seq) || line.seq < 1) return false;
    if (line.seq > this.#lastSeq) {
      const skipped = line.seq - this.#lastSeq - 1 - this.#excused;
      if (skipped > 0 && this.entries.length > 0) {
        this.entries.push({ seq: this.#lastSeq, stream: "gap", missed: skipped });
      }
      this.#excused = 0;
      this.#lastSeq = line.seq;
      if (this.#head === Number.POSITIVE_INFINITY) this.#head = line.seq;
      this.entries.push(this.#styled(line, true));
      this.#trim();
      this.#version++;
      return true;
    }
    const at = lowerBound(this.entries, line.seq);
    const found = this.entries[at];
    if (found !== undefined && found.seq === line.seq && found.stream !== "gap") return false;
    // Older than the first appended line: history that reaches further back than the embedded
    // tail. A line inside a gap stays out: its marker already counts it.
    if (line.seq >= this.#head || this.entries.length >= this.#max) return false;
    if (this.#chars + line.line.length > this.#maxChars) return false;
    this.entries.splice(at, 0, this.#styled(line, false));
    this.#version++;
    return true;
  }

  /** Adds a marker for `missed` lines the server could not send (a `gap` event). */
  gap(missed: number): void {
    if (!Number.isInteger(missed) || missed < 1) return;
    this.entries.push({ seq: this.#lastSeq, stream: "gap", missed });
    this.#excused += missed;
    this.#trim();
    this.#version++;
  }

  /** Finds the row index of line `seq`, or where it would be. */
  indexOf(seq: number): number {
    return lowerBound(this.entries, seq);
  }

  #styled(line: ProcessLine, last: boolean): TerminalLine {
    const stream = line.stream === "stderr" ? "stderr" : "stdout";
    const text = typeof line.line === "string" ? line.line : String(line.line);
    this.#chars += text.length;
    if (!last) return { seq: line.seq, stream, line: text, style: plainStyle };
    const style = this.#styles[stream];
    // Only a line with an escape sequence can change the style that the next one starts with.
    if (text.includes("\u001b")) this.#styles[stream] = parseAnsi(text, style).end;
    return { seq: line.seq, stream, line: text, style };
  }

  #trim(): void {
    // Drop in batches: one splice per 1,000 lines instead of a shift per line.
    const slack = Math.min(1000, Math.ceil(this.#max / 10));
    let drop = this.entries.length > this.#max + slack ? this.entries.length - this.#max : 0;
    if (this.#chars > this.#maxChars) {
      // Down to 90 % of the budget, so the next long lines do not trim again at once.
      let over = this.#chars - Math.floor(this.#maxChars * 0.9);
      for (let i = 0; i < drop; i++) over -= lengthOf(this.entries[i]!);
      while (over > 0 && drop < this.entries.length - 1) over -= lengthOf(this.entries[drop++]!);
    }
    if (drop === 0) return;
    for (let i = 0; i < drop; i++) this.#chars -= lengthOf(this.entries[i]!);
    this.entries.splice(0, drop);
  }
}

function lengthOf(entry: TerminalEntry): number {
  return entry.stream === "gap" ? 0 : entry.line.length;
}

/** The first index whose `seq` is ≥ `seq` (a line before the gap markers that follow it). */
function lowerBound(entries: readonly TerminalEntry[], seq: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (entries[mid]!.seq < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}
