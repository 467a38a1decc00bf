import { scopeAllows } from "../access/scope.ts";

const KINDS = new Set(["pipe", "job", "process"]);

/** Which ends are notified: `(kind, name) => boolean`. */
export type NotifyFilter = (kind: string, name: string) => boolean;

/**
 * Reads `--notify-on` entries into a filter, with the scope rule of access (`scopeAllows`): an entry
 * `kind:name` covers that name and the names under it as a path (`job:ci` covers `ci` and
 * `ci/7`, never `ci-other`); a trailing `*` makes the rest an explicit string prefix
 * (`pipe:backup-*` covers `backup-db`; `job:*` every job). No entry: every end.
 *
 * @throws {TypeError} for an entry that is not `pipe:…`, `job:…` or `process:…` with a name.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNotifyFilter } from "./notify_filter.ts";
 * const wanted = parseNotifyFilter(["job:ci", "pipe:backup-*"]);
 * assert.equal(wanted("job", "ci"), true);
 * assert.equal(wanted("job", "ci/7"), true);
 * assert.equal(wanted("job", "ci-other"), false);
 * assert.equal(wanted("process", "ci"), false);
 * assert.equal(wanted("pipe", "backup-db"), true);
 * assert.equal(parseNotifyFilter([])("process", "anything"), true);
 * assert.throws(() => parseNotifyFilter(["ci"]), /Invalid --notify-on 'ci'/);
 * ```
 */
export function parseNotifyFilter(entries: readonly string[]): NotifyFilter {
  if (entries.length === 0) return () => true;
  const rules = entries.map((entry) => {
    const colon = entry.indexOf(":");
    const kind = entry.slice(0, colon);
    const name = entry.slice(colon + 1);
    if (colon < 0 || !KINDS.has(kind) || name === "" || name.startsWith("/")) {
      throw new TypeError(
        `Invalid --notify-on '${entry}' (kind:name, kind pipe, job or process; e.g. job:ci or pipe:backup-*)`,
      );
    }
    return entry;
  });
  // One rule for names, the scope rule of access.
  return (kind, name) => scopeAllows(rules, `${kind}:${name}`);
}
