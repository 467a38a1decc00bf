import assert from "node:assert/strict";
import { parseNotifyFilter } from "./notify_filter.ts";

/** Asserts which `[kind, name]` ends the filter made of `entries` wants. */
function assertWants(entries: string[], cases: [kind: string, name: string, wanted: boolean][]) {
  const wants = parseNotifyFilter(entries);
  for (const [kind, name, wanted] of cases) {
    assert.equal(wants(kind, name), wanted, `${kind}:${name}`);
  }
}

Deno.test("notify-on: kind:name covers the name and the names under it as a path", () => {
  assertWants(["job:ci"], [
    ["job", "ci", true],
    ["job", "ci/7", true],
    ["job", "ci/7/lint", true],
    ["job", "ci-other", false],
    ["job", "cix", false],
    ["job", "c", false],
    ["pipe", "ci", false],
  ]);
});

Deno.test("notify-on: a trailing * is a plain string prefix; alone it covers the kind", () => {
  assertWants(["pipe:backup-*"], [
    ["pipe", "backup-db", true],
    ["pipe", "backup-", true],
    ["pipe", "backup", false],
    ["job", "backup-db", false],
  ]);
  assertWants(["job:*"], [
    ["job", "x/y", true],
    ["process", "x", false],
  ]);
});

Deno.test("notify-on: several entries add up; a trailing slash means the names under it", () => {
  assertWants(["process:deploy/", "job:nightly"], [
    ["process", "deploy", false],
    ["process", "deploy/eu", true],
    ["job", "nightly", true],
    ["job", "deploy", false],
  ]);
});

Deno.test("notify-on: malformed entries are refused with the entry quoted", () => {
  for (const entry of ["ci", "task:build", "job:", ":ci", "job:/x", "jobs:ci"]) {
    assert.throws(() => parseNotifyFilter([entry]), {
      name: "TypeError",
      message: new RegExp(`^Invalid --notify-on '${entry.replace("/", "\\/")}'`),
    });
  }
});
