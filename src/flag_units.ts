// Durations and sizes as an operator writes them in a flag (`250ms`, `10m`, `512KiB`), both ways.

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `250ms`, `30s`, `10m`, `1h` (or a bare number of milliseconds) into milliseconds.
 *
 * @throws {TypeError} on anything else.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./flag_units.ts";
 * assert.equal(parseDuration("1.5s"), 1500);
 * assert.equal(parseDuration("10m"), 600_000);
 * ```
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new TypeError(`Invalid duration '${text}' (use 250ms, 30s, 10m, 1h)`);
  return Math.round(Number(match[1]) * UNITS[match[2] ?? "ms"]!);
}

/**
 * Formats milliseconds in the flags' duration syntax (`250ms`, `30s`, `10m`, `1h`), the way
 * an operator writes them; {@linkcode parseDuration} reads it back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFlagDuration } from "./flag_units.ts";
 * assert.equal(formatFlagDuration(600_000), "10m");
 * assert.equal(formatFlagDuration(250), "250ms");
 * ```
 */
export function formatFlagDuration(ms: number): string {
  for (const unit of ["h", "m", "s"] as const) {
    if (ms >= UNITS[unit]! && ms % UNITS[unit]! === 0) return `${ms / UNITS[unit]!}${unit}`;
  }
  return `${ms}ms`;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/**
 * Parses a size in bytes: a whole number of bytes, or a number with a unit, binary (`KiB`,
 * `MiB`, `GiB`) or decimal (`kB`, `MB`, `GB`), in any case (`1mib`); a fraction is rounded down
 * to a whole byte (`1.5KiB` is 1536).
 *
 * @throws {TypeError} on anything else.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSize } from "./flag_units.ts";
 * assert.equal(parseSize("1048576"), 1_048_576);
 * assert.equal(parseSize("512KiB"), 524_288);
 * assert.equal(parseSize("1MB"), 1_000_000);
 * assert.throws(() => parseSize("1 potato"), /Invalid size/);
 * ```
 */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined || (match[2] === "" && match[1]!.includes("."))) {
    throw new TypeError(`Invalid size '${text}' (use 1048576, 512KiB, 1MiB, 1MB)`);
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`Invalid size '${text}' (too large)`);
  return bytes;
}

/**
 * Formats bytes the way an operator writes a size flag: in the largest binary unit that holds
 * it whole (`1MiB`, `512KiB`), else in bytes; {@linkcode parseSize} reads it back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFlagSize } from "./flag_units.ts";
 * assert.equal(formatFlagSize(1_048_576), "1MiB");
 * assert.equal(formatFlagSize(1000), "1000");
 * ```
 */
export function formatFlagSize(bytes: number): string {
  for (const unit of ["GiB", "MiB", "KiB"]) {
    const size = SIZE_UNITS[unit.toLowerCase()]!;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
