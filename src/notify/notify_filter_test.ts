import assert from "node:assert/strict";
import { parseNotifyFilter } from "./notify_filter.ts";

Deno.test("notify-on: kind:name covers the name and the names under it as a path", () => {
  const wanted = parseNotifyFilter(["job:ci"]);
  assert.equal(wanted("job", "ci"), true);
  assert.equal(wanted("job", "ci/7"), true);
  assert.equal(wanted("job", "ci/7/lint"), true);
  assert.equal(wanted("job", "ci-other"), false);
  assert.equal(wanted("job", "cix"), false);
  assert.equal(wanted("job", "c"), false);
  assert.equal(wanted("pipe", "ci"), false);
});

Deno.test("notify-on: a trailing * is a plain string prefix; alone it covers the kind", () => {
  const backups = parseNotifyFilter(["pipe:backup-*"]);
  assert.equal(backups("pipe", "backup-db"), true);
  assert.equal(backups("pipe", "backup-"), true);
  assert.equal(backups("pipe", "backup"), false);
  assert.equal(backups("job", "backup-db"), false);
  const jobs = parseNotifyFilter(["job:*"]);
  assert.equal(jobs("job", "x/y"), true);
  assert.equal(jobs("process", "x"), false);
});

Deno.test("notify-on: several entries add up; a trailing slash means the names under it", () => {
  const wanted = parseNotifyFilter(["process:deploy/", "job:nightly"]);
  assert.equal(wanted("process", "deploy"), false);
  assert.equal(wanted("process", "deploy/eu"), true);
  assert.equal(wanted("job", "nightly"), true);
  assert.equal(wanted("job", "deploy"), false);
});

Deno.test("notify-on: malformed entries are refused with the entry quoted", () => {
  for (const entry of ["ci", "task:build", "job:", ":ci", "job:/x", "jobs:ci"]) {
    assert.throws(() => parseNotifyFilter([entry]), {
      name: "TypeError",
      message: new RegExp(`^Invalid --notify-on '${entry.replace("/", "\\/")}'`),
    });
  }
});
