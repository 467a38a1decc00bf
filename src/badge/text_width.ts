/**
 * Approximate advance widths of Verdana's printable ASCII glyphs (space to `~`), in font units
 * of a 2048-unit em. Our own table, rounded from the font's proportions: exact enough for a
 * badge, whose `textLength` makes any fallback font fit the same box.
 */
// deno-fmt-ignore
const VERDANA_UNITS = [
  720, 823, 1010, 1823, 1303, 2215, 1633, 555, 1010, 1010, 1303, 1823, 721, 1030, 721, 1010, // ␠ to /
  1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, // 0 to 9
  1010, 1010, 1823, 1823, 1823, 1120, 2222, // : to @
  1540, 1540, 1565, 1728, 1415, 1293, 1740, 1697, 948, 1032, 1561, 1266, 1894, // A to M
  1690, 1762, 1356, 1762, 1570, 1530, 1384, 1647, 1540, 2249, 1558, 1386, 1558, // N to Z
  1010, 1010, 1010, 1823, 1303, 1303, // [ to `
  1226, 1273, 1062, 1273, 1215, 721, 1273, 1292, 562, 703, 1207, 562, 1985, // a to m
  1292, 1232, 1273, 1273, 868, 1065, 806, 1292, 1207, 1685, 1207, 1207, 1067, // n to z
  1303, 1010, 1303, 1823, // { to ~
];

const UNITS_PER_EM = 2048;

/** What a glyph outside the table gets: the mean of the letters and digits. */
const MEAN_UNITS = (() => {
  const letters = VERDANA_UNITS.filter((_, i) => /[0-9A-Za-z]/.test(String.fromCharCode(32 + i)));
  return letters.reduce((sum, units) => sum + units, 0) / letters.length;
})();

/**
 * The width `text` takes in Verdana at `size` px (11 by default, a badge's), from the table
 * above; any other character counts as the mean width of a letter. No font is read: the server
 * needs none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textWidth } from "./text_width.ts";
 * assert.ok(textWidth("W") > textWidth("i") * 3);
 * assert.equal(textWidth(""), 0);
 * assert.equal(Math.round(textWidth("100%")), 33);
 * assert.ok(textWidth("✓ done") > textWidth(" done"));
 * ```
 */
export function textWidth(text: string, size = 11): number {
  let units = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    units += (code >= 32 && code <= 126 ? VERDANA_UNITS[code - 32] : undefined) ?? MEAN_UNITS;
  }
  return (units * size) / UNITS_PER_EM;
}
