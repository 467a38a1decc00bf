import { terminalText } from "./terminal_text.ts";

/** Options for {@linkcode StatusLine}. */
export interface StatusLineOptions {
  /** Redraw one line in place (`\r` + clear to the end of line) instead of printing lines. */
  tty: boolean;
  /** Writes text to the output. */
  write: (text: string) => Promise<void>;
  /** Not on a TTY: at most one line per this many ms. @default 1000 */
  interval?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/**
 * One status line that changes often: on a terminal it is redrawn in place at every update; on
 * a pipe or a file it is printed as a line at most once a second (the newest one; a pending line
 * is printed when its second is up, even if no update follows), so a log stays readable.
 * {@linkcode StatusLine.finish} prints the final line and ends it with a newline. A line is shown
 * as text: its escape sequences and control characters are dropped (tabs and newlines become
 * spaces, {@linkcode terminalText}), so a server's words can neither run in the terminal nor
 * break the line; the only sequences written are the line's own redraw (`\r`, `ESC[K`), and
 * only on a terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StatusLine } from "./status_line.ts";
 * let out = "";
 * let now = 0;
 * const line = new StatusLine({ tty: false, write: async (t) => { out += t; }, now: () => now });
 * await line.update("10%");
 * now = 400;
 * await line.update("20%");
 * now = 1000;
 * await line.update("30%");
 * await line.finish("100%");
 * assert.equal(out, "10%\n30%\n100%\n");
 * ```
 */
export class StatusLine {
  #options: StatusLineOptions;
  #interval: number;
  #now: () => number;
  #printedAt = -Infinity;
  #printed: string | null = null;
  #pending: string | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #drawn = false;

  constructor(options: StatusLineOptions) {
    this.#options = options;
    this.#interval = options.interval ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Shows `line` now (TTY) or within the second (otherwise). */
  async update(text: string): Promise<void> {
    const line = shown(text);
    if (this.#options.tty) {
      this.#drawn = true;
      await this.#options.write(`\r${line}\x1b[K`);
      return;
    }
    const wait = this.#printedAt + this.#interval - this.#now();
    if (wait <= 0) {
      await this.#print(line);
      return;
    }
    this.#pending = line;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      const pending = this.#pending;
      if (pending !== null) this.#print(pending).catch(() => {});
    }, wait);
  }

  /** Prints the final line (or, without one, ends the drawn line) and stops. */
  async finish(text?: string): Promise<void> {
    const line = text === undefined ? undefined : shown(text);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = null;
    if (this.#options.tty) {
      if (line !== undefined) await this.#options.write(`\r${line}\x1b[K\n`);
      else if (this.#drawn) await this.#options.write("\n");
      this.#drawn = false;
      return;
    }
    if (line !== undefined && line !== this.#printed) await this.#print(line);
  }

  async #print(line: string): Promise<void> {
    this.#pending = null;
    this.#printed = line;
    this.#printedAt = this.#now();
    await this.#options.write(`${line}\n`);
  }
}

function shown(text: string): string {
  return terminalText(text, { colors: false, oneLine: true });
}
