/**
 * The front page (browser entry): what ringside is, the curl lines for this server, forms to
 * send to, receive from and watch a pipe, and boxes that open a job's or a process's dashboard.
 *
 * @module
 */

import { render, type VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { nameError } from "../../names.ts";
import { pipeCommands, pipePath, randomPipeName, topicPath } from "./commands.ts";
import { formatBytes, formatElapsed, formatPercent, formatSpeed } from "../../client/format.ts";
import { receiveFromPipe, sendToPipe } from "./transfer.ts";
import { CopyLine, ProgressBar } from "./_components.ts";
import { html } from "./_html.ts";

function Front(): VNode {
  const [name, setName] = useState(randomPipeName);
  const shown = name || "NAME";
  const commands = pipeCommands(location.origin, shown);
  const onName = (e: Event) => setName((e.currentTarget as HTMLInputElement).value.trim());
  const newName = () => setName(randomPipeName());
  return html`
    <main class="page front">
      <header class="hero">
        <h1 class="brand">ringside</h1>
        <p>Send bytes between machines through this server with plain HTTP: curl on both sides.</p>
        <p>Nothing is stored: bytes flow from the sender to the receivers as they arrive.</p>
        <p>Anyone can watch a transfer live by adding <code>?progress</code> to its URL.</p>
        <p>Jobs that publish progress and commands whose output streams here have a live page too.</p>
      </header>

      <section class="card">
        <label class="field" for="pipe-name">Pipe name</label>
        <div class="row">
          <input
            id="pipe-name"
            name="pipe"
            data-testid="pipe-name"
            value="${name}"
            onInput="${onName}"
            autocomplete="off"
            autocapitalize="off"
            spellcheck="false"
          />
          <button type="button" class="secondary" onClick="${newName}">New name</button>
        </div>
        <p class="hint">Both sides use the same name; it is the pipe's only secret.</p>
      </section>

      <section class="card">
        <h2>From a terminal</h2>
        <${CopyLine} label="Send a file" command="${commands.send}" testId="cmd-send" />
        <${CopyLine} label="Receive it" command="${commands.receive}" testId="cmd-receive" />
        <${CopyLine} label="Watch it (Server-Sent Events)" command="${commands
          .events}" testId="cmd-events" />
        <p><a href="${`${pipePath(shown)}?progress`}">Open the dashboard of ${shown}</a></p>
      </section>

      <${SendPanel} name="${name}" />
      <${ReceivePanel} name="${name}" />
      <${WatchPanel} kind="pipe" fallback="${name}" />
      <${WatchPanel} kind="job" />
      <${WatchPanel} kind="process" />
    </main>
  `;
}

/** The phases of a transfer made from this page. */
type Phase = "ready" | "running" | "done" | "failed";

interface TransferState {
  phase: Phase;
  bytes: number;
  total: number | null;
  startedAt: number;
  message: string;
}

const readyState: TransferState = {
  phase: "ready",
  bytes: 0,
  total: null,
  startedAt: 0,
  message: "",
};

/** A transfer's state and the AbortController that cancels it (also on unmount). */
function useTransfer() {
  const [state, setState] = useState<TransferState>(readyState);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  function start(message: string): AbortSignal {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setState({ phase: "running", bytes: 0, total: null, startedAt: Date.now(), message });
    return controller.signal;
  }
  function progress(bytes: number, total: number | null, message?: string) {
    setState((s) => ({ ...s, bytes, total, message: message ?? s.message }));
  }
  function finish(phase: "done" | "failed", message: string) {
    abort.current = null;
    setState((s) => ({ ...s, phase, message }));
  }
  function cancel() {
    abort.current?.abort();
  }
  return { state, start, progress, finish, cancel };
}

function percentOf(state: TransferState): number | null {
  if (state.phase === "done") return 100;
  if (state.total === null) return null;
  return state.total > 0 ? (state.bytes / state.total) * 100 : 0;
}

/** `42% · 1.05 MB of 2.50 MB · 1.20 MB/s`, or `… in 3 s` once done. */
function progressLine(state: TransferState, percent: number | null): string {
  const { bytes, total, phase } = state;
  const seconds = Math.max(0.001, (Date.now() - state.startedAt) / 1000);
  const parts = [
    total === null ? formatBytes(bytes) : `${formatBytes(bytes)} of ${formatBytes(total)}`,
  ];
  if (percent !== null) parts.unshift(formatPercent(percent));
  if (phase === "running" && bytes > 0) parts.push(formatSpeed(bytes / seconds));
  if (phase === "done") parts.push(`in ${formatElapsed(seconds)}`);
  return parts.join(" · ");
}

function TransferProgress(
  props: { state: TransferState; label: string; testId: string; hint: string },
): VNode {
  const { state } = props;
  const percent = percentOf(state);
  const line = progressLine(state, percent);
  const tone = state.phase === "failed" ? "failed" : state.phase === "done" ? "ok" : "active";
  const messageClass = state.phase === "failed" ? "alert" : "status";
  const hint = state.phase === "running" ? props.hint : "";
  if (state.phase === "ready") {
    return html`
      <div class="transfer" data-testid="${props.testId}" data-phase="ready"></div>
    `;
  }
  return html`
    <div class="transfer" data-testid="${props.testId}" data-phase="${state.phase}">
      <${ProgressBar} value="${percent}" label="${props
        .label}" valueText="${line}" tone="${tone}" />
      <p class="bytes">${line}</p>
      <p class="${messageClass}" role="${messageClass}">${state.message}</p>
      <p class="hint">${hint}</p>
    </div>
  `;
}

/** The sender's last response line, which says why it failed. */
function lastLine(text: string): string {
  const lines = text.trim().split("\n").filter(Boolean);
  return lines[lines.length - 1] ?? "no reason given";
}

function SendPanel(props: { name: string }): VNode {
  const [mode, setMode] = useState<"file" | "text">("file");
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState("");
  const [dragging, setDragging] = useState(false);
  const transfer = useTransfer();
  const running = transfer.state.phase === "running";
  const url = pipePath(props.name);

  function pick(files: FileList | null | undefined) {
    const first = files?.[0];
    if (first) {
      setFile(first);
      setMode("file");
    }
  }
  function onDragOver(e: DragEvent) {
    e.preventDefault();
    setDragging(true);
  }
  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    pick(e.dataTransfer?.files);
  }
  const onDragLeave = () => setDragging(false);
  const onFile = (e: Event) => pick((e.currentTarget as HTMLInputElement).files);
  const onText = (e: Event) => setText((e.currentTarget as HTMLTextAreaElement).value);
  const fileMode = () => setMode("file");
  const textMode = () => setMode("text");

  async function send(event: Event) {
    event.preventDefault();
    const body = mode === "file" ? file : new Blob([text], { type: "text/plain;charset=utf-8" });
    if (body === null || props.name === "") return;
    const signal = transfer.start("Sending… the transfer starts when a receiver connects.");
    const handedOver = "All bytes handed over; waiting for the receivers to take them…";
    try {
      const result = await sendToPipe({
        url,
        body,
        ...(mode === "file" && file ? { fileName: file.name } : {}),
        signal,
        onProgress: (bytes, total) =>
          transfer.progress(
            bytes,
            total,
            total !== null && bytes >= total ? handedOver : undefined,
          ),
      });
      if (result.status >= 200 && result.status < 300) {
        transfer.progress(body.size, body.size);
        transfer.finish("done", `Sent ${formatBytes(body.size)} to ${props.name}.`);
      } else {
        transfer.finish("failed", `The server answered ${result.status}: ${lastLine(result.text)}`);
      }
    } catch (error) {
      const aborted = error instanceof DOMException && error.name === "AbortError";
      transfer.finish(
        "failed",
        aborted ? "Cancelled." : `Sending failed: ${(error as Error).message}`,
      );
    }
  }

  const chosen = file
    ? `${file.name} · ${formatBytes(file.size)}`
    : "Drop a file here, or tap to choose one";
  const cannotSend = running || props.name === "" || (mode === "file" && file === null);
  const fileInput = html`
    <label
      class="${dragging ? "drop dragging" : "drop"}"
      data-testid="drop-zone"
      onDragOver="${onDragOver}"
      onDragLeave="${onDragLeave}"
      onDrop="${onDrop}"
    >
      <input type="file" class="visually-hidden" data-testid="file-input" onChange="${onFile}" />
      <span>${chosen}</span>
    </label>
  `;
  const textInput = html`
    <textarea
      data-testid="text-input"
      rows="4"
      placeholder="Text to send"
      aria-label="Text to send"
      value="${text}"
      onInput="${onText}"
    ></textarea>
  `;
  const cancel = html`
    <button type="button" class="secondary" onClick="${transfer.cancel}">Cancel</button>
  `;
  return html`
    <section class="card">
      <h2>Send from this browser</h2>
      <form onSubmit="${send}" data-testid="send-form">
        <div class="tabs" role="group" aria-label="What to send">
          <button type="button" aria-pressed="${String(
            mode === "file",
          )}" onClick="${fileMode}">File</button>
          <button type="button" aria-pressed="${String(
            mode === "text",
          )}" onClick="${textMode}">Text</button>
        </div>
        ${mode === "file" ? fileInput : textInput}
        <div class="row">
          <button type="submit" data-testid="send" disabled="${cannotSend}">Send to ${props.name ||
            "…"}</button>
          ${running ? cancel : null}
        </div>
      </form>
      <${TransferProgress}
        state="${transfer.state}"
        label="Sending progress"
        testId="send-progress"
        hint="${`Receive it with: curl ${location.origin}${url}`}"
      />
    </section>
  `;
}

/** A received body, ready to save. */
interface Received {
  url: string;
  fileName: string;
  size: number;
  preview: string | null;
}

function ReceivePanel(props: { name: string }): VNode {
  const transfer = useTransfer();
  const [received, setReceived] = useState<Received | null>(null);
  const running = transfer.state.phase === "running";
  const url = pipePath(props.name);
  useEffect(() => () => {
    if (received) URL.revokeObjectURL(received.url);
  }, [received]);

  async function receive(event: Event) {
    event.preventDefault();
    if (props.name === "") return;
    setReceived(null);
    const signal = transfer.start("Waiting for a sender…");
    try {
      const result = await receiveFromPipe({
        url,
        signal,
        onStart: () => transfer.progress(0, null, "Receiving…"),
        onProgress: (bytes, total) => transfer.progress(bytes, total),
      });
      if (!result.ok) {
        transfer.finish("failed", `The server answered ${result.status}: ${lastLine(result.text)}`);
        return;
      }
      const { blob } = result;
      const fileName = result.fileName ?? props.name.split("/").pop() ?? "download";
      const small = blob.type.startsWith("text/") && blob.size <= 64_000;
      const preview = small ? await blob.text() : null;
      transfer.progress(blob.size, blob.size);
      setReceived({ url: URL.createObjectURL(blob), fileName, size: blob.size, preview });
      transfer.finish("done", `Received ${formatBytes(blob.size)} from ${props.name}.`);
    } catch (error) {
      const aborted = error instanceof DOMException && error.name === "AbortError";
      const why = `Receiving failed (did the sender disconnect?): ${(error as Error).message}`;
      transfer.finish("failed", aborted ? "Cancelled." : why);
    }
  }

  const cancel = html`
    <button type="button" class="secondary" onClick="${transfer.cancel}">Cancel</button>
  `;
  const save = received === null ? null : html`
    <p>
      <a class="button" href="${received.url}" download="${received.fileName}" data-testid="save">
        Save ${received.fileName} (${formatBytes(received.size)})
      </a>
    </p>
  `;
  const preview = received?.preview == null ? null : html`
    <pre class="preview" data-testid="preview">${received.preview}</pre>
  `;
  return html`
    <section class="card">
      <h2>Receive in this browser</h2>
      <form onSubmit="${receive}" data-testid="receive-form">
        <div class="row">
          <button type="submit" data-testid="receive" disabled="${running || props.name === ""}">
            Receive from ${props.name || "…"}
          </button>
          ${running ? cancel : null}
        </div>
      </form>
      <${TransferProgress}
        state="${transfer.state}"
        label="Receiving progress"
        testId="receive-progress"
        hint="${`Send to it with: curl -T FILE ${location.origin}${url}`}"
      />
      ${save} ${preview}
    </section>
  `;
}

/** What a watch box opens. */
interface WatchKind {
  title: string;
  /** The input's accessible name. */
  label: string;
  button: string;
  placeholder: string;
  testId: string;
  path(name: string): string;
}

const watchKinds: Record<"pipe" | "job" | "process", WatchKind> = {
  pipe: {
    title: "Watch a pipe",
    label: "Pipe name to watch",
    button: "Open dashboard",
    placeholder: "pipe name",
    testId: "watch-form",
    path: (name) => `${pipePath(name)}?progress`,
  },
  job: {
    title: "Watch a job",
    label: "Job id to watch",
    button: "Watch job",
    placeholder: "job id, e.g. ci/build-7",
    testId: "watch-job-form",
    path: (name) => topicPath("job", name),
  },
  process: {
    title: "Watch a process",
    label: "Process id to watch",
    button: "Watch process",
    placeholder: "process id, e.g. deploy",
    testId: "watch-process-form",
    path: (name) => topicPath("process", name),
  },
};

/**
 * A box that opens the dashboard of a pipe, job or process by name. The name is checked with
 * the server's own rule first, so a typo gets its reason here instead of an error page.
 */
function WatchPanel(props: { kind: keyof typeof watchKinds; fallback?: string }): VNode {
  const kind = watchKinds[props.kind];
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  function open(event: Event) {
    event.preventDefault();
    const target = name.trim() || (props.fallback ?? "");
    const invalid = nameError(target);
    if (invalid !== null) {
      setError(
        target === "" ? `Type ${props.kind === "pipe" ? "a name" : "an id"} first.` : invalid,
      );
      return;
    }
    location.assign(kind.path(target));
  }
  function onInput(e: Event) {
    setName((e.currentTarget as HTMLInputElement).value);
    setError(null);
  }
  const errorId = `${kind.testId}-error`;
  return html`
    <section class="card">
      <h2>${kind.title}</h2>
      <form class="row" onSubmit="${open}" data-testid="${kind.testId}" novalidate>
        <input
          aria-label="${kind.label}"
          aria-invalid="${error === null ? undefined : "true"}"
          aria-describedby="${error === null ? undefined : errorId}"
          placeholder="${props.fallback || kind.placeholder}"
          value="${name}"
          onInput="${onInput}"
          autocomplete="off"
          autocapitalize="off"
          spellcheck="false"
        />
        <button type="submit">${kind.button}</button>
      </form>
      ${error === null ? null : html`
        <p class="alert" role="alert" id="${errorId}">${error}</p>
      `}
    </section>
  `;
}

render(
  html`
    <${Front} />
  `,
  document.getElementById("app")!,
);
