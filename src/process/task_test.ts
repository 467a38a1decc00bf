import assert from "node:assert/strict";
import { parseTasks, splitCommand } from "./task.ts";

Deno.test("splitCommand splits on blanks and keeps quoted text whole", () => {
  assert.deepEqual(splitCommand("make -j2"), ["make", "-j2"]);
  assert.deepEqual(splitCommand("  a \t b\n c  "), ["a", "b", "c"]);
  assert.deepEqual(splitCommand(`echo 'it''s' "a  b" ''`), ["echo", "its", "a  b", ""]);
  assert.deepEqual(splitCommand(`x"y"'z'`), ["xyz"]);
  assert.deepEqual(splitCommand(`sh -c 'echo $HOME && ls | wc -l'`), [
    "sh",
    "-c",
    "echo $HOME && ls | wc -l",
  ]);
});

Deno.test("splitCommand: backslashes as a shell reads them", () => {
  assert.deepEqual(splitCommand(String.raw`a\ b c\\d \'e`), ["a b", "c\\d", "'e"]);
  // In double quotes only " \ $ ` and newline are escaped; other backslashes stay.
  assert.deepEqual(splitCommand(String.raw`"a\"b" "c\d" "\$x"`), ['a"b', "c\\d", "$x"]);
  // In single quotes nothing is.
  assert.deepEqual(splitCommand(String.raw`'a\b'`), ["a\\b"]);
  // A backslash-newline joins lines.
  assert.deepEqual(splitCommand("make \\\n -j2"), ["make", "-j2"]);
});

Deno.test("splitCommand refuses what only a shell would understand", () => {
  for (const text of ["a && b", "a | b", "a; b", "a > f", "a < f", "(a)", "echo $HOME"]) {
    assert.throws(() => splitCommand(text), /shell syntax/, text);
  }
  assert.throws(() => splitCommand("ls *.ts"), /shell syntax/);
  assert.throws(() => splitCommand(`echo "$HOME"`), /shell syntax/);
  assert.throws(() => splitCommand("echo `id`"), /shell syntax/);
  assert.throws(() => splitCommand("echo 'open"), /Unterminated '/);
  assert.throws(() => splitCommand(`echo "open`), /Unterminated "/);
  assert.throws(() => splitCommand("echo \\"), /Trailing/);
  assert.throws(() => splitCommand("   "), /Empty command/);
});

Deno.test("parseTasks names tasks and refuses bad ones", () => {
  const tasks = parseTasks(["build=make -j2", "deploy = ./deploy.sh 'prod env'"]);
  assert.deepEqual([...tasks.keys()], ["build", "deploy"]);
  assert.deepEqual(tasks.get("deploy")!.args, ["prod env"]);
  assert.throws(() => parseTasks(["build"]), /NAME="command args"/);
  assert.throws(() => parseTasks(["b d=x"]), /Invalid --task/);
  assert.throws(() => parseTasks(["a=x", "a=y"]), /named twice/);
  assert.throws(() => parseTasks(["a="]), /Empty command/);
  assert.throws(() => parseTasks(["a=x && y"]), /Invalid --task 'a': .*shell syntax/);
});
