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

/** Called with each line and the number of bytes it was decoded from. */
export type OnLine = (line: string, bytes: number) => void;

/**
 * The synchronous core of {@linkcode LineSplitter}, for a reader that handles every line of a
 * chunk in one go (no promise per line): `push` calls `onLine` for each line a chunk completes,
 * `end` for the last unterminated one, each with the byte length it was decoded from (the
 * terminator left out). Same rules as {@linkcode LineSplitter}.
 *
 * Memory: the unfinished line is held in one buffer of at most `maxLineBytes + 1` bytes (the
 * one more is a `\r` that may turn out to end the line), grown as needed; a longer line leaves
 * in pieces as its bytes arrive, so however much comes without a newline, and in whatever
 * chunks, nothing more is held.
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
  // The unfinished line, copied out of the chunks (a source may reuse its buffer).
  #buffer = new Uint8Array(256);
  #pending = 0;

  constructor(options: LineSplitterOptions = {}) {
    this.#max = options.maxLineBytes ?? 65_536;
    if (!(this.#max >= 4)) throw new RangeError(`Invalid maxLineBytes ${this.#max} (at least 4)`);
  }

  /** Bytes of the unfinished line held now: at most `maxLineBytes + 1`. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /** Calls `onLine` for every line `chunk` completes, in order. */
  push(chunk: Uint8Array, onLine: OnLine): void {
    let start = this.#pending === 0 ? this.#whole(chunk, onLine) : 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(LF, start);
      this.#take(chunk.subarray(start, end < 0 ? chunk.length : end), onLine);
      if (end < 0) return;
      let length = this.#pending;
      if (length > 0 && this.#buffer[length - 1] === CR) length--;
      this.#emit(length, onLine);
      start = end + 1;
    }
  }

  /**
   * The lines that lie whole at the start of `chunk` (nothing held before it, none over the
   * limit), decoded with one `decode` for all of them and cut from that text: no copy and no
   * view per line. `\n` is one byte and one character, and never part of another character, so
   * the text's line breaks are the bytes' and decoding many lines at once replaces invalid bytes
   * as decoding each would. Returns where the rest of the chunk begins.
   */
  #whole(chunk: Uint8Array, onLine: OnLine): number {
    const max = this.#max;
    let rest = 0;
    for (;;) {
      const end = chunk.indexOf(LF, rest);
      if (end < 0) break;
      const length = end - rest;
      if (length > max && !(length === max + 1 && chunk[end - 1] === CR)) break;
      rest = end + 1;
    }
    if (rest === 0) return 0;
    const text = this.#decoder.decode(chunk.subarray(0, rest - 1));
    let from = 0;
    let byte = 0;
    while (byte < rest) {
      const end = chunk.indexOf(LF, byte);
      const to = end === rest - 1 ? text.length : text.indexOf("\n", from);
      const cr = end > byte && chunk[end - 1] === CR ? 1 : 0;
      onLine(text.slice(from, to - cr), end - byte - cr);
      from = to + 1;
      byte = end + 1;
    }
    return rest;
  }

  /** Calls `onLine` for the last line if it had no terminator. */
  end(onLine: OnLine): void {
    if (this.#pending > 0) this.#emit(this.#pending, onLine);
  }

  /** Adds bytes of the unfinished line; a piece leaves whenever more than `max + 1` would be held. */
  #take(bytes: Uint8Array, onLine: OnLine): void {
    const max = this.#max;
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#pending === max + 1) {
        // More of the line is coming, so the last byte held is not a final `\r`: a piece goes.
        const cut = this.#cut(0);
        onLine(this.#decoder.decode(this.#buffer.subarray(0, cut)), cut);
        this.#buffer.copyWithin(0, cut, this.#pending);
        this.#pending -= cut;
      }
      const room = Math.min(max + 1, this.#pending + bytes.length - offset);
      if (room > this.#buffer.length) {
        const grown = new Uint8Array(Math.min(max + 1, Math.max(room, this.#buffer.length * 2)));
        grown.set(this.#buffer.subarray(0, this.#pending));
        this.#buffer = grown;
      }
      const n = room - this.#pending;
      this.#buffer.set(bytes.subarray(offset, offset + n), this.#pending);
      this.#pending += n;
      offset += n;
    }
  }

  /** Emits the first `length` bytes held as a line (in pieces when over the limit) and clears. */
  #emit(length: number, onLine: OnLine): void {
    let start = 0;
    while (length - start > this.#max) {
      const cut = this.#cut(start);
      onLine(this.#decoder.decode(this.#buffer.subarray(start, cut)), cut - start);
      start = cut;
    }
    onLine(this.#decoder.decode(this.#buffer.subarray(start, length)), length - start);
    this.#pending = 0;
  }

  /**
   * Where a piece of at most `max` bytes from `start` ends: before the first byte of a
   * character (continuation bytes are 10xxxxxx), backing off 3 bytes at most. The byte after a
   * full piece is always held by then.
   */
  #cut(start: number): number {
    let cut = start + this.#max;
    while (cut > start + this.#max - 3 && (this.#buffer[cut]! & 0xc0) === 0x80) cut--;
    return cut;
  }
}
