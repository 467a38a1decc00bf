/** Writes one log record. */
export type Log = (message: string, fields?: Record<string, unknown>) => void;

/**
 * A logger that writes `message key=value …` lines, or one JSON object per line with
 * `--log-format json`, to `write` (standard error by default).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLog } from "./log.ts";
 * const lines: string[] = [];
 * createLog("json", (line) => lines.push(line))("transfer complete", { pipe: "db", bytes: 3 });
 * const record = JSON.parse(lines[0]!);
 * assert.deepEqual([record.msg, record.pipe, record.bytes], ["transfer complete", "db", 3]);
 * ```
 */
export function createLog(
  format: "text" | "json",
  write: (line: string) => void = (line) => console.error(line),
): Log {
  if (format === "json") {
    return (message, fields = {}) =>
      write(JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields }));
  }
  return (message, fields = {}) => {
    const pairs = Object.entries(fields).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
    write([new Date().toISOString(), message, ...pairs].join(" "));
  };
}
