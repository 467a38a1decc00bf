/** Options for {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /** A line longer than this many UTF-8 bytes is split (at a character boundary). @default 65536 */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines of text, the moment each line's end arrives: lines end at
 * `\n` or `\r\n` (the terminator is not part of the line), are decoded as UTF-8 with invalid
 * bytes replaced by U+FFFD, and a line longer than `maxLineBytes` is emitted in pieces of at
 * most that many bytes, cut between characters. Empty lines are lines. A last line without a
 * terminator is emitted when the input ends.
 *
 * Cancel and error: cancelling the readable side cancels the source with the same reason, and
 * an error of the source errors the readable side (a partial line is then dropped); `\n` never
 * occurs inside a multi-byte UTF-8 character, so chunk boundaries anywhere are safe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineSplitter } from "./line_splitter.ts";
 * const bytes = new TextEncoder().encode("one\r\ntw");
 * const source = ReadableStream.from([bytes, new TextEncoder().encode("o\n\nthree")]);
 * const lines = await Array.fromAsync(source.pipeThrough(new LineSplitter()));
 * assert.deepEqual(lines, ["one", "two", "", "three"]);
 * ```
 */
export class LineSplitter extends TransformStream<Uint8Array, string> {
  constructor(options: LineSplitterOptions = {}) {
    const lines = new LineDecoder(options);
    super({
      transform(chunk, controller) {
        lines.push(chunk, (line) => controller.enqueue(line));
      },
      flush(controller) {
        lines.end((line) => controller.enqueue(line));
      },
    });
  }
}

/**
 * The synchronous core of {@linkcode LineSplitter}, for a reader that handles every line of a
 * chunk in one go (no promise per line): `push` calls `onLine` for each line a chunk completes,
 * `end` for the last unterminated one. Same rules as {@linkcode LineSplitter}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineDecoder } from "./line_splitter.ts";
 * const lines: string[] = [];
 * const decoder = new LineDecoder();
 * decoder.push(new TextEncoder().encode("a\nb"), (line) => lines.push(line));
 * decoder.end((line) => lines.push(line));
 * assert.deepEqual(lines, ["a", "b"]);
 * ```
 */
export class LineDecoder {
  #max: number;
  #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  // The unfinished line: pieces copied out of earlier chunks (a source may reuse its buffer).
  #pieces: Uint8Array[] = [];
  #pending = 0;

  constructor(options: LineSplitterOptions = {}) {
    this.#max = options.maxLineBytes ?? 65_536;
    if (!(this.#max >= 4)) throw new RangeError(`Invalid maxLineBytes ${this.#max} (at least 4)`);
  }

  /** Calls `onLine` for every line `chunk` completes, in order. */
  push(chunk: Uint8Array, onLine: (line: string) => void): void {
    const max = this.#max;
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(LF, start);
      if (end < 0) {
        this.#pieces.push(chunk.slice(start));
        this.#pending += chunk.length - start;
        if (this.#pending > max) {
          // Emit whole pieces of an overlong line now rather than holding it.
          const bytes = this.#joined(new Uint8Array());
          let keep = bytes.length - (bytes.length % max || max);
          while (keep > 0 && (bytes[keep]! & 0xc0) === 0x80) keep--;
          if (keep > 0) this.#emit(bytes.subarray(0, keep), onLine);
          const rest = bytes.slice(keep);
          if (rest.length > 0) {
            this.#pieces = [rest];
            this.#pending = rest.length;
          }
        }
        return;
      }
      let line = this.#joined(chunk.subarray(start, end));
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, -1);
      this.#emit(line, onLine);
      start = end + 1;
    }
  }

  /** Calls `onLine` for the last line if it had no terminator. */
  end(onLine: (line: string) => void): void {
    if (this.#pending > 0) this.#emit(this.#joined(new Uint8Array()), onLine);
  }

  #emit(bytes: Uint8Array, onLine: (line: string) => void): void {
    const max = this.#max;
    let start = 0;
    while (bytes.length - start > max) {
      let cut = start + max;
      // Back off to the first byte of a character (continuation bytes are 10xxxxxx).
      while (cut > start + max - 3 && (bytes[cut]! & 0xc0) === 0x80) cut--;
      onLine(this.#decoder.decode(bytes.subarray(start, cut)));
      start = cut;
    }
    onLine(this.#decoder.decode(bytes.subarray(start)));
  }

  #joined(tail: Uint8Array): Uint8Array {
    if (this.#pending === 0) return tail;
    const bytes = new Uint8Array(this.#pending + tail.length);
    let offset = 0;
    for (const piece of this.#pieces) {
      bytes.set(piece, offset);
      offset += piece.length;
    }
    bytes.set(tail, offset);
    this.#pieces = [];
    this.#pending = 0;
    return bytes;
  }
}
