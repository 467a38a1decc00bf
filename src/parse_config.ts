// The config from the environment and the command line: each value checked where it is read.

import { type Config, defaultConfig } from "./config.ts";
import { parseDuration, parseSize } from "./flag_units.ts";
import { envName, FLAGS, type FlagSpec } from "./flags.ts";
import { parseNotifyFilter } from "./notify/notify_filter.ts";

/** The longest delay `setTimeout` keeps (2^31-1 ms, 24.8 days, 596 h and a bit). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function parseValue(flag: string, spec: FlagSpec, value: string): Config[keyof Config] {
  switch (spec.kind) {
    case "string":
      return value;
    case "boolean":
      if (value === "true" || value === "1" || value === "") return true;
      if (value === "false" || value === "0") return false;
      throw new TypeError(`Invalid value '${value}' for --${flag} (use true or false)`);
    case "integer": {
      if (!/^\d+$/.test(value)) {
        throw new TypeError(`Invalid value '${value}' for --${flag} (a whole number)`);
      }
      return Number(value);
    }
    case "duration":
      return flagDuration(flag, value);
    case "durations":
      return value.split(",").map((item) => item.trim()).filter((item) => item !== "")
        .map((item) => flagDuration(flag, item));
    case "size":
      try {
        return parseSize(value);
      } catch {
        throw new TypeError(`Invalid value '${value}' for --${flag} (use 1048576, 512KiB, 1MiB)`);
      }
    case "log-format":
      if (value === "text" || value === "json") return value;
      throw new TypeError(`Invalid value '${value}' for --${flag} (use text or json)`);
    case "list":
      return [value];
  }
}

function flagDuration(flag: string, value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new TypeError(`Invalid value '${value}' for --${flag} (use 250ms, 30s, 10m, 1h)`);
  }
  // Runtimes fire a longer timer at once (a 32-bit delay): 1000h would mean "now".
  if (ms > MAX_TIMER_MS) {
    throw new RangeError(`Invalid value '${value}' for --${flag} (at most 596h)`);
  }
  return ms;
}

/**
 * Builds the config from `RINGSIDE_*` environment variables, then `serve` flags on top.
 * Flags take `--flag value` or `--flag=value`; boolean flags stand alone.
 *
 * @throws {TypeError} for an unknown flag, a missing or bad value; {RangeError} for a duration
 * longer than a timer holds (596h).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./parse_config.ts";
 * const config = parseConfig(["--port=0", "--retention", "30s"], { RINGSIDE_MAX_SPECTATORS: "3" });
 * assert.deepEqual([config.port, config.retention, config.maxSpectators], [0, 30_000, 3]);
 * const tokens = parseConfig(["--token", "a", "--token=b"], { RINGSIDE_TOKEN: "x,y" }).tokens;
 * assert.deepEqual(tokens, ["a", "b"]);
 * assert.deepEqual(parseConfig([], { RINGSIDE_TOKEN: "x, y" }).tokens, ["x", "y"]);
 * assert.equal(parseConfig(["--hub-idle", "8s"], { RINGSIDE_HUB_IDLE: "12s" }).hubIdle, 8000);
 * assert.throws(() => parseConfig(["--private"], {}), /needs --token/);
 * ```
 *
 * @example Notices
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./parse_config.ts";
 * const env = { RINGSIDE_NOTIFY: "http://a.test/hook, https://b.test/hook" };
 * assert.deepEqual(parseConfig([], env).notify, ["http://a.test/hook", "https://b.test/hook"]);
 * const config = parseConfig(["--notify-retry", "50ms,1s", "--public-url", "https://w.test/"], {});
 * assert.deepEqual([config.notifyRetry, config.publicUrl], [[50, 1000], "https://w.test"]);
 * assert.deepEqual(parseConfig([], {}).notifyRetry, [1000, 5000, 30_000, 120_000, 600_000]);
 * assert.throws(() => parseConfig(["--notify", "file:///etc/passwd"], {}), /http:\/\/ or https:/);
 * assert.throws(() => parseConfig(["--notify-on", "ci"], {}), /Invalid --notify-on 'ci'/);
 * ```
 */
export function parseConfig(args: string[], env: Record<string, string | undefined>): Config {
  const config = defaultConfig();
  const record = config as unknown as Record<string, unknown>;
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const value = env[envName(flag)];
    if (value === undefined) continue;
    record[spec.key] = spec.kind === "list"
      ? value.split(",").map((item) => item.trim()).filter((item) => item !== "")
      : parseValue(flag, spec, value);
  }
  const fromFlags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const spec = match ? FLAGS[match[1]!] : undefined;
    if (!match || !spec) throw new TypeError(`Unknown option '${arg}'`);
    let value = match[2];
    if (value === undefined && spec.kind === "boolean") value = "true";
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new TypeError(`Missing value for --${match[1]}`);
    }
    if (spec.kind === "list") {
      // Repeatable: the first one on the command line replaces the environment's list.
      const list = fromFlags.has(spec.key) ? record[spec.key] as string[] : [];
      record[spec.key] = [...list, value];
      fromFlags.add(spec.key);
    } else {
      record[spec.key] = parseValue(match[1]!, spec, value);
    }
  }
  if (config.port > 65535) throw new RangeError(`Invalid port ${config.port}`);
  if (config.tokens.some((token) => token.trim() === "")) throw new TypeError("Empty --token");
  if (config.readTokens.some((token) => token.trim() === "")) {
    throw new TypeError("Empty --read-token");
  }
  if (
    config.private && config.tokens.length === 0 && config.readTokens.length === 0 &&
    config.jwtSecret === ""
  ) {
    throw new TypeError(
      "--private needs --token, --read-token or --jwt-secret (nobody could watch)",
    );
  }
  for (const url of config.notify) httpUrl("notify", url);
  if (config.publicUrl !== "") config.publicUrl = httpUrl("public-url", config.publicUrl);
  parseNotifyFilter(config.notifyOn);
  return config;
}

/** `value` as an http(s) URL without a trailing slash. @throws {TypeError} otherwise. */
function httpUrl(flag: string, value: string): string {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError(`Invalid value '${value}' for --${flag} (an http:// or https:// URL)`);
  }
  return value.replace(/\/+$/, "");
}
