/**
 * The pipe dashboard (browser entry). It renders the snapshot embedded in the page at once,
 * then follows the pipe's SSE stream until `done` or `error`.
 *
 * @module
 */

import type { VNode } from "preact";
import { useEffect } from "preact/hooks";
import type { PipeSnapshot } from "../../progress/snapshot.ts";
import { formatElapsed, formatSpeed } from "../../client/format.ts";
import {
  describePipe,
  initialModel,
  type PipeEvent,
  type PipeModel,
  reducePipeModel,
} from "./pipe_view.ts";
import { sparkline, sparklineWindowMs } from "./throughput.ts";
import {
  Badge,
  ProgressBar,
  ScriptLines,
  Stat,
  TopBar,
  useLiveModel,
  useTitle,
} from "./_components.ts";
import { html, type LivePageData, mountPage, withPageToken } from "./_html.ts";

/** How long to wait before opening a new EventSource after the browser gave up on one. */
const reopenAfterMs = 2000;

function Dashboard(props: LivePageData<PipeSnapshot>): VNode {
  const { model, dispatch, ended, now } = useLiveModel(
    reducePipeModel,
    initialModel,
    props.snapshot,
  );
  useFollow(props.eventsUrl, ended, dispatch);
  const at = Math.max(now, model.receivedAt);
  const view = describePipe(model, at);
  useTitle(view.title);
  const tone = view.state === "failed" ? "failed" : view.state === "complete" ? "ok" : "active";
  const error = view.error === null ? null : html`
    <p class="alert" role="alert" data-testid="error"><strong>Failed:</strong> ${view.error}</p>
  `;
  const finalWord = view.state === "complete" ? "Done" : "Stopped";
  const final = view.finalLine === null ? null : html`
    <p class="final" data-testid="final">${finalWord}: ${view.finalLine}</p>
  `;
  return html`
    <main class="page dash" data-state="${view.state}" data-connection="${model.connection}">
      <${TopBar} connection="${model.connection}" />
      <h1 class="pipe-name"><span class="muted">pipe</span> ${model.snapshot.name}</h1>
      <${Badge} tone="${view.state}" testId="state" icon="${view.icon}" label="${view.label}" />
      <p class="headline">${view.headline}</p>
      <p class="big" data-testid="big" aria-hidden="true">${view.big}</p>
      <${ProgressBar}
        value="${view.percent}"
        label="Transfer progress"
        valueText="${view.valueText}"
        tone="${tone}"
      />
      <p class="bytes" data-testid="bytes">${view.bytesText}</p>
      ${error} ${final}
      <dl class="stats">
        <${Stat} term="Speed" value="${view.speedText}" testId="speed" />
        <${Stat} term="ETA" value="${view.etaText}" testId="eta" />
        <${Stat} term="Elapsed" value="${view.elapsedText}" testId="elapsed" />
        <${Stat} term="Receivers" value="${view.receiversText}" testId="receivers" />
        <${Stat} term="Watching" value="${view.spectatorsText}" testId="spectators" />
      </dl>
      <${Throughput} model="${model}" now="${at}" />
      <${ScriptLines} kind="pipe" ...${props} />
    </main>
  `;
}

const chartWidth = 300;
const chartHeight = 56;

function Throughput(props: { model: PipeModel; now: number }): VNode {
  const ended = props.model.connection === "ended";
  const last = props.model.samples[props.model.samples.length - 1];
  const right = ended && last !== undefined ? last.at : props.now;
  const visible = props.model.samples.filter((s) => s.at >= right - sparklineWindowMs);
  const drawn = sparkline(visible, { width: chartWidth, height: chartHeight, now: right });
  const caption = drawn.line !== ""
    ? `Throughput, last ${formatElapsed(drawn.spanMs / 1000)} · peak ${formatSpeed(drawn.peak)}`
    : ended
    ? "Throughput: not recorded (this page opened after the transfer)"
    : "Throughput: no data yet";
  return html`
    <figure class="spark">
      <svg
        viewBox="${`0 0 ${chartWidth} ${chartHeight}`}"
        preserveAspectRatio="none"
        role="img"
        aria-label="${caption}"
      >
        <path class="spark-area" d="${drawn.area}" />
        <path class="spark-line" d="${drawn.line}" vector-effect="non-scaling-stroke" />
      </svg>
      <figcaption>${caption}</figcaption>
    </figure>
  `;
}

/**
 * Follows the SSE stream until the pipe ends. The browser's EventSource reconnects by itself
 * after a dropped connection (`retry: 2000`); when it gives up (an HTTP error such as a 429),
 * a new one is opened after {@linkcode reopenAfterMs}. After `done` or `error` the source is
 * closed, or it would reconnect to a stream the server has finished.
 */
function useFollow(
  url: string,
  ended: boolean,
  dispatch: (action: Parameters<typeof reducePipeModel>[1]) => void,
): void {
  useEffect(() => {
    if (ended) return;
    let source: EventSource | undefined;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    function stop() {
      stopped = true;
      clearTimeout(reopen);
      source?.close();
    }
    function deliver(event: PipeEvent, message: MessageEvent) {
      let snapshot: PipeSnapshot;
      try {
        snapshot = JSON.parse(message.data as string) as PipeSnapshot;
      } catch {
        return;
      }
      dispatch({ type: "snapshot", event, snapshot, at: Date.now() });
      if (event === "done" || event === "error") stop();
    }
    function open() {
      if (stopped) return;
      const current = new EventSource(withPageToken(url));
      source = current;
      current.addEventListener("open", () => dispatch({ type: "connection", connection: "live" }));
      for (const event of ["state", "progress", "done"] as const) {
        current.addEventListener(event, (message) => deliver(event, message as MessageEvent));
      }
      // The server's `error` event and a broken connection share the name `error`: only the
      // former is a MessageEvent with data.
      current.addEventListener("error", (message) => {
        if (message instanceof MessageEvent && typeof message.data === "string") {
          deliver("error", message);
          return;
        }
        if (stopped) return;
        dispatch({ type: "connection", connection: "reconnecting" });
        if (current.readyState === EventSource.CLOSED) {
          clearTimeout(reopen);
          reopen = setTimeout(open, reopenAfterMs);
        }
      });
    }
    open();
    return stop;
  }, [url, ended]);
}

mountPage(Dashboard);
