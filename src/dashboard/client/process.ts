/**
 * The process dashboard (browser entry): a terminal view of a command's output. It shows the
 * tail embedded in the page at once, then follows the SSE stream (`output`, `status`, `gap`,
 * `spectators`) until a final status. Only the rows in view (plus a margin) are elements, so tens of
 * thousands of lines scroll smoothly; the page keeps the last 50,000.
 *
 * @module
 */

import type { VNode } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ProcessLine, ProcessSnapshot } from "../../progress/snapshot.ts";
import { parseAnsi, spanCss } from "./ansi.ts";
import { LineBuffer, type TerminalEntry } from "./line_buffer.ts";
import { anchorAt, bottomScrollTop, isAtBottom, lineWindow, scrollTopFor } from "./line_window.ts";
import {
  describeProcess,
  initialProcessModel,
  isProcessStatus,
  type ProcessAction,
  reduceProcessModel,
} from "./process_view.ts";
import { Badge, ScriptLines, Stat, TopBar, useLiveModel, useTitle } from "./_components.ts";
import { follow, isObject, parseData, poll } from "./_follow.ts";
import { html, type LivePageData, mountPage } from "./_html.ts";

/** A row's height in pixels; `process.css` sets the same on `.ln`. */
const lineHeight = 18;

/** How often the watcher count is refreshed. */
const pollEveryMs = 5000;

function ProcessDashboard(props: LivePageData<ProcessSnapshot>): VNode {
  const buffer = useMemo(() => {
    const lines = new LineBuffer({ maxEntries: 50_000 });
    for (const line of props.snapshot.tail) lines.add(line);
    return lines;
  }, []);
  const [version, setVersion] = useState(buffer.version);
  const { model, dispatch, ended, now } = useLiveModel(
    reduceProcessModel,
    initialProcessModel,
    props.snapshot,
  );
  useFollowProcess(props, ended, buffer, dispatch, setVersion);
  const view = describeProcess(model, Math.max(now, model.durationAt), buffer.lastSeq);
  useTitle(view.title);
  const earlier = buffer.earlier;
  return html`
    <main
      class="page dash proc"
      data-status="${view.status}"
      data-connection="${model.connection}"
    >
      <${TopBar} connection="${model.connection}" />
      <h1 class="pipe-name" data-testid="id">
        <span class="muted">process</span> ${model.snapshot.id}
      </h1>
      <${Badge} tone="${view.tone}" testId="status" icon="${view.icon}" label="${view.badge}" />
      <dl class="stats">
        <${Stat} term="Elapsed" value="${view.elapsedText}" testId="elapsed" />
        <${Stat} term="Lines" value="${view.linesText}" testId="lines" />
        <${Stat} term="Watching" value="${view.spectatorsText}" testId="spectators" />
      </dl>
      ${earlier > 0
        ? html`
          <p class="earlier" data-testid="earlier">
            ${earlier.toLocaleString("en-US")} earlier ${earlier === 1
              ? "line is"
              : "lines are"} not kept on this page.
          </p>
        `
        : null}
      <${Terminal} buffer="${buffer}" version="${version}" />
      <${ScriptLines} kind="process" ...${props} />
    </main>
  `;
}

/**
 * The scrolling terminal. It follows the newest line while the view is at the bottom; once the
 * viewer scrolls up it keeps the line at the top of the view in place (rows dropped or
 * inserted above do not move it) and offers a button back to the end.
 */
function Terminal(props: { buffer: LineBuffer; version: number }): VNode {
  const { buffer } = props;
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(540);
  const [following, setFollowing] = useState(true);
  /** The line at the top of the view and how far into it, while not following. */
  const anchor = useRef<Held | null>(null);
  /** The scroll position this component last saw or set, to tell the viewer's scrolls apart. */
  const lastTop = useRef(0);
  const count = buffer.entries.length;

  useLayoutEffect(() => {
    const element = box.current;
    if (element === null) return;
    setViewportHeight(element.clientHeight);
    const observer = new ResizeObserver(() => setViewportHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // After every render (new lines, a trim, the clock's tick that drew lines not yet drawn):
  // stay at the end, or keep the anchored line where it was.
  useLayoutEffect(() => {
    const element = box.current;
    if (element === null) return;
    if (following) {
      const bottom = bottomScrollTop({ count, lineHeight, viewportHeight: element.clientHeight });
      if (Math.abs(element.scrollTop - bottom) >= 1) element.scrollTop = bottom;
    } else if (anchor.current !== null) {
      const target = heldTop(buffer, anchor.current);
      if (Math.abs(element.scrollTop - target) >= 1) element.scrollTop = target;
    }
    lastTop.current = element.scrollTop;
  });

  function onScroll() {
    const element = box.current;
    if (element === null) return;
    const top = element.scrollTop;
    // Only a move up leaves the end: lines arriving between a scroll and its event must not.
    const movedUp = top < lastTop.current - 1;
    lastTop.current = top;
    const atBottom = (following && !movedUp) ||
      isAtBottom({ count, lineHeight, scrollTop: top, viewportHeight: element.clientHeight });
    anchor.current = hold(buffer, top);
    setFollowing(atBottom);
    setScrollTop(top);
  }
  // Scrolling up with a wheel or a key stops following at once, before the next line arrives.
  function onWheel(event: WheelEvent) {
    if (event.deltaY < 0) stopFollowing();
  }
  function onKeyDown(event: KeyboardEvent) {
    if (["ArrowUp", "PageUp", "Home"].includes(event.key)) stopFollowing();
  }
  function stopFollowing() {
    const element = box.current;
    if (element === null || !following) return;
    anchor.current = hold(buffer, element.scrollTop);
    setFollowing(false);
  }
  function jumpToEnd() {
    anchor.current = null;
    setFollowing(true);
    const element = box.current;
    if (element !== null) {
      element.scrollTop = bottomScrollTop({
        count,
        lineHeight,
        viewportHeight: element.clientHeight,
      });
    }
  }

  // Draw where the layout effect is about to put the view, not where the last scroll event was.
  const held = following ? null : anchor.current;
  const top = following
    ? bottomScrollTop({ count, lineHeight, viewportHeight })
    : held !== null
    ? heldTop(buffer, held)
    : scrollTop;
  const shown = lineWindow({ count, lineHeight, scrollTop: top, viewportHeight });
  const rows: VNode[] = [];
  for (let i = shown.first; i < shown.last; i++) rows.push(row(buffer.entries[i]!));
  const digits = String(Math.max(buffer.lastSeq, 1)).length;
  const jump = following ? null : html`
    <button type="button" class="jump" onClick="${jumpToEnd}" data-testid="jump">
      ↓ Jump to end
    </button>
  `;
  return html`
    <div class="term-wrap">
      <div
        class="term"
        ref="${box}"
        tabindex="0"
        role="log"
        aria-live="off"
        aria-label="Output"
        data-testid="terminal"
        data-following="${String(following)}"
        onScroll="${onScroll}"
        onWheel="${onWheel}"
        onKeyDown="${onKeyDown}"
        style="${{ "--gutter": `${digits + 1}ch` }}"
      >
        <div class="spacer" style="${{ height: `${shown.totalHeight}px` }}">
          <div class="rows" style="${{ transform: `translateY(${shown.offset}px)` }}">${rows}</div>
        </div>
        ${count === 0
          ? html`
            <p class="empty">No output yet.</p>
          `
          : null}
      </div>
      ${jump}
    </div>
  `;
}

/**
 * The row at the top of the view, by `seq` (rows come and go above it) plus how many rows past
 * the first with that `seq` it is (a gap marker shares the `seq` of the line before it), and
 * the pixels scrolled into it.
 */
interface Held {
  seq: number;
  after: number;
  within: number;
}

function hold(buffer: LineBuffer, scrollTop: number): Held | null {
  const { index, within } = anchorAt(scrollTop, lineHeight);
  const at = Math.min(index, buffer.entries.length - 1);
  const entry = buffer.entries[at];
  if (entry === undefined) return null;
  return { seq: entry.seq, after: at - buffer.indexOf(entry.seq), within };
}

/** The scroll position that puts a held row back at the top of the view. */
function heldTop(buffer: LineBuffer, held: Held): number {
  return scrollTopFor(
    { index: buffer.indexOf(held.seq) + held.after, within: held.within },
    lineHeight,
  );
}

/** Parsed lines, by entry: an entry never changes, and scrolling draws the same rows often. */
const parsed = new WeakMap<TerminalEntry, { text: string; css: Record<string, string> | null }[]>();

function row(entry: TerminalEntry): VNode {
  if (entry.stream === "gap") {
    const lines = entry.missed === 1 ? "line" : "lines";
    const missed = entry.missed.toLocaleString("en-US");
    return html`
      <div class="ln gap" key="${`gap-${entry.seq}-${entry.missed}`}" data-testid="gap">
        <span class="no"></span><span class="tx">⋯ ${missed} ${lines} not shown</span>
      </div>
    `;
  }
  let spans = parsed.get(entry);
  if (spans === undefined) {
    spans = parseAnsi(entry.line, entry.style).spans.map((span) => ({
      text: span.text,
      css: spanCss(span.style),
    }));
    parsed.set(entry, spans);
  }
  const children = spans.map((span) =>
    span.css === null ? span.text : html`
      <span style="${span.css}">${span.text}</span>
    `
  );
  return html`
    <div class="ln" key="${entry.seq}" data-stream="${entry.stream}">
      <span class="no" aria-hidden="true">${entry.seq}</span><span class="tx">${children}</span>
    </div>
  `;
}

/**
 * Follows the process's SSE stream until a final status, adding lines to `buffer` and drawing
 * at most once per animation frame however fast they come; polls the JSON snapshot while the
 * process runs. A page opened on a finished process reads the stream once too: the server
 * sends its last `--history-lines` lines, more than the 100 the page came with, and the status.
 */
function useFollowProcess(
  props: LivePageData<ProcessSnapshot>,
  ended: boolean,
  buffer: LineBuffer,
  dispatch: (action: ProcessAction) => void,
  setVersion: (version: number) => void,
): void {
  useEffect(() => {
    let frame = 0;
    function draw() {
      if (frame !== 0) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion(buffer.version);
      });
    }
    function status(value: unknown) {
      if (!isObject(value) || !isProcessStatus(value.status)) return false;
      const exitCode = typeof value.exitCode === "number" ? value.exitCode : null;
      dispatch({ type: "status", status: value.status, exitCode, at: Date.now() });
      return value.status !== "running";
    }
    const following = follow({
      url: props.eventsUrl,
      once: props.snapshot.status !== "running",
      onConnection: (connection) => dispatch({ type: "connection", connection }),
      on: {
        output(data) {
          const value = parseData(data);
          if (isObject(value) && typeof value.line === "string") {
            if (buffer.add(value as unknown as ProcessLine)) draw();
          }
        },
        gap(data) {
          const value = parseData(data);
          if (isObject(value) && typeof value.missed === "number") {
            buffer.gap(value.missed);
            draw();
          }
        },
        spectators(data) {
          const value = parseData(data);
          if (isObject(value) && typeof value.spectators === "number") {
            dispatch({ type: "spectators", spectators: value.spectators });
          }
        },
        status(data) {
          const final = status(parseData(data));
          if (final) setVersion(buffer.version);
          return final;
        },
      },
    });
    return () => {
      following.stop();
      cancelAnimationFrame(frame);
    };
  }, [props.eventsUrl]);
  useEffect(() => {
    if (ended) return;
    return poll(props.jsonUrl, pollEveryMs, (value) => {
      if (isObject(value) && value.kind === "process" && Array.isArray(value.tail)) {
        // Counts and the clock only: the lines come from the stream, in order.
        const snapshot = value as unknown as ProcessSnapshot;
        dispatch({ type: "snapshot", snapshot, at: Date.now() });
      }
    });
  }, [props.jsonUrl, ended]);
}

mountPage(ProcessDashboard);
