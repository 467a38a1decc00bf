import assert from "node:assert/strict";
import { parseSize } from "./flag_units.ts";
import { flagHelp } from "./flags.ts";
import { parseConfig } from "./parse_config.ts";

Deno.test("--history-bytes: 1 MiB by default, from the flag or RINGSIDE_HISTORY_BYTES", () => {
  assert.equal(parseConfig([], {}).historyBytes, 1_048_576);
  assert.equal(parseConfig(["--history-bytes", "2MiB"], {}).historyBytes, 2_097_152);
  assert.equal(parseConfig(["--history-bytes=65536"], {}).historyBytes, 65_536);
  assert.equal(parseConfig([], { RINGSIDE_HISTORY_BYTES: "512KiB" }).historyBytes, 524_288);
  const both = parseConfig(["--history-bytes", "1kB"], { RINGSIDE_HISTORY_BYTES: "512KiB" });
  assert.equal(both.historyBytes, 1000, "the flag wins");
  assert.throws(() => parseConfig(["--history-bytes", "lots"], {}), /Invalid value 'lots'/);
  assert.throws(() => parseConfig(["--history-bytes", "-1"], {}), /Invalid value '-1'/);
  assert.match(flagHelp(), /--history-bytes .* \[1MiB\] \(RINGSIDE_HISTORY_BYTES\)/);
});

Deno.test("parseSize: bytes, binary and decimal units in any case, nothing else", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["1048576", 1_048_576],
    ["10b", 10],
    ["2KiB", 2048],
    ["2kb", 2000],
    ["1.5KiB", 1536],
    ["1mib", 1_048_576],
    ["3 MB", 3_000_000],
    ["1GiB", 1_073_741_824],
    [" 7GB ", 7_000_000_000],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
  for (const text of ["", "1.5", "1TiB", "KiB", "1 MiB x", "0x10", "1e6", "-5"]) {
    assert.throws(() => parseSize(text), /Invalid size/, text);
  }
  assert.throws(() => parseSize(`${"9".repeat(20)}GiB`), /too large/);
});
