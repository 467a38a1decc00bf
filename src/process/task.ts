import { nameError } from "../names.ts";

/** A command the operator named at start-up (`serve --task NAME="cmd args"`). */
export interface Task {
  name: string;
  /** The program, looked up in `PATH`. */
  command: string;
  args: string[];
}

/** Characters a shell would give a meaning ringside cannot (it runs no shell) when unquoted. */
const SHELL_SYNTAX = new Set(["|", "&", ";", "<", ">", "(", ")", "$", "`", "*", "?"]);

/**
 * Splits a command line into words the way a POSIX shell does, without running one: blanks
 * separate words; `'…'` keeps everything literally; `"…"` keeps everything but lets `\` escape
 * `"`, `\`, `$` and `` ` ``; outside quotes `\` escapes the next character. Nothing is
 * expanded, so what a shell would expand or interpret — unquoted `| & ; < > ( ) * ?`, and `$`
 * or `` ` `` anywhere outside single quotes — is refused rather than passed on as text.
 *
 * @throws {TypeError} on an unterminated quote, shell syntax, or an empty command.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitCommand } from "./task.ts";
 * assert.deepEqual(splitCommand(`make -j2 'a b' "c \\"d\\"" e\\ f`), ["make", "-j2", "a b", 'c "d"', "e f"]);
 * assert.throws(() => splitCommand("make && deploy"), /shell/);
 * ```
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === " " || char === "\t" || char === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (char === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new TypeError(`Unterminated ' in '${text}'`);
      word += text.slice(i + 1, end);
      i = end;
    } else if (char === '"') {
      for (i++;; i++) {
        if (i >= text.length) throw new TypeError(`Unterminated " in '${text}'`);
        const inner = text[i]!;
        if (inner === '"') break;
        if (inner === "\\" && i + 1 < text.length && `"\\$\`\n`.includes(text[i + 1]!)) {
          if (text[i + 1] !== "\n") word += text[i + 1];
          i++;
        } else if (inner === "$" || inner === "`") {
          throw new TypeError(
            `'${inner}' in '${text}' is shell syntax; ringside runs no shell (quote it with '…', ` +
              `or run sh -c '…')`,
          );
        } else {
          word += inner;
        }
      }
    } else if (char === "\\") {
      if (i + 1 >= text.length) throw new TypeError(`Trailing \\ in '${text}'`);
      const next = text[++i]!;
      if (next !== "\n") word += next;
      else if (word === "") inWord = false;
    } else if (SHELL_SYNTAX.has(char)) {
      throw new TypeError(
        `'${char}' in '${text}' is shell syntax; ringside runs no shell (quote it, ` +
          `or run sh -c '…')`,
      );
    } else {
      word += char;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new TypeError(`Empty command '${text}'`);
  return words;
}

/**
 * Parses the `--task NAME=COMMAND` flags into tasks by name.
 *
 * @throws {TypeError} on a missing `=`, an invalid or repeated name, or a command that
 * {@linkcode splitCommand} refuses.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTasks } from "./task.ts";
 * const tasks = parseTasks(["build=make -j2"]);
 * assert.deepEqual(tasks.get("build"), { name: "build", command: "make", args: ["-j2"] });
 * ```
 */
export function parseTasks(specs: readonly string[]): Map<string, Task> {
  const tasks = new Map<string, Task>();
  for (const spec of specs) {
    const equals = spec.indexOf("=");
    if (equals < 0) throw new TypeError(`Invalid --task '${spec}' (use NAME="command args")`);
    const name = spec.slice(0, equals).trim();
    const invalid = nameError(name);
    if (invalid) throw new TypeError(`Invalid --task '${spec}': ${invalid}`);
    if (tasks.has(name)) throw new TypeError(`Task '${name}' is named twice`);
    let words: string[];
    try {
      words = splitCommand(spec.slice(equals + 1));
    } catch (error) {
      throw new TypeError(`Invalid --task '${name}': ${(error as Error).message}`);
    }
    const [command, ...args] = words;
    tasks.set(name, { name, command: command!, args });
  }
  return tasks;
}
