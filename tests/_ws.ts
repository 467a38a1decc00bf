/**
 * WebSocket clients for end-to-end tests of the hub: a real `WebSocket` that records every
 * message, and a raw TCP client that does the handshake, sends masked frames and reads only when
 * told (a client that never reads).
 */

import assert from "node:assert/strict";

/** A message from the hub, parsed. */
// deno-lint-ignore no-explicit-any
export type HubMessage = Record<string, any>;

/** A hub connection through Deno's `WebSocket`, every message kept in arrival order. */
export class HubConnection {
  readonly socket: WebSocket;
  /** Resolves with the close event. */
  readonly closed: Promise<CloseEvent>;
  readonly messages: HubMessage[] = [];
  #read = 0;
  #wake: (() => void) | null = null;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.onmessage = (event) => {
      this.messages.push(JSON.parse(event.data as string));
      this.#wake?.();
    };
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        resolve(event);
        this.#wake?.();
      });
    });
  }

  /** Opens `ws://…/api/v1/ws` of a server origin (`query` without `?`). */
  static async open(origin: string, query = ""): Promise<HubConnection> {
    const url = `${origin.replace(/^http/, "ws")}/api/v1/ws${query ? `?${query}` : ""}`;
    const socket = new WebSocket(url);
    const connection = new HubConnection(socket);
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error(`Cannot connect to ${url}`));
    });
    return connection;
  }

  /** Sends a message (an object as JSON, a string as it is). */
  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Subscribes to `channel` and asserts that the hub answers `subscribed` to it. */
  async subscribe(channel: string): Promise<void> {
    this.send({ type: "subscribe", data: channel });
    assert.deepEqual(await this.next(), { type: "subscribed", data: channel });
  }

  /** The next message not read yet; rejects when the connection closes first. */
  async next(): Promise<HubMessage> {
    while (this.#read >= this.messages.length) {
      if (this.socket.readyState >= WebSocket.CLOSING) {
        throw new Error(`Connection closed; got ${JSON.stringify(this.messages)}`);
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
    return this.messages[this.#read++]!;
  }

  /** Skips messages until one matches; returns it. */
  async until(match: (message: HubMessage) => boolean): Promise<HubMessage> {
    for (;;) {
      const message = await this.next();
      if (match(message)) return message;
    }
  }

  /** Sends a ping and waits for its pong: every message before it has been handled. */
  async roundTrip(): Promise<HubMessage[]> {
    const start = this.#read;
    this.send({ type: "ping" });
    await this.until((message) => message.type === "pong");
    return this.messages.slice(start, this.#read - 1);
  }

  close(): Promise<CloseEvent> {
    this.socket.close();
    return this.closed;
  }

  [Symbol.dispose](): void {
    if (this.socket.readyState <= WebSocket.OPEN) this.socket.close();
  }
}

const encoder = new TextEncoder();

/** A client frame: FIN, `opcode`, masked (RFC 6455, 5.2). */
function maskedFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = new Uint8Array(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = 0x80 | length;
  } else if (length < 65536) {
    frame[1] = 0x80 | 126;
    new DataView(frame.buffer).setUint16(2, length);
  } else {
    frame[1] = 0x80 | 127;
    new DataView(frame.buffer).setBigUint64(2, BigInt(length));
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, header);
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i]! ^ mask[i % 4]!;
  return frame;
}

/**
 * The header of a client frame of `length` payload bytes (`fin` false: more fragments follow),
 * masked with the key 0 so that the payload goes as it is: megabytes cost nothing to make.
 */
export function frameHeader(opcode: number, length: number, fin = true): Uint8Array {
  const header = new Uint8Array(14);
  header[0] = (fin ? 0x80 : 0) | opcode;
  header[1] = 0x80 | 127;
  new DataView(header.buffer).setBigUint64(2, BigInt(length));
  return header;
}

/** A client text frame: FIN, text opcode, masked (RFC 6455, 5.2). */
export function maskedTextFrame(text: string): Uint8Array {
  return maskedFrame(0x1, encoder.encode(text));
}

/** A frame from the server (`opcode` 0x1 text, 0x8 close, 0x9 ping, 0xA pong). */
export interface ServerFrame {
  opcode: number;
  payload: Uint8Array;
}

/** A WebSocket client on a bare TCP connection that reads nothing after the handshake. */
export interface RawWebSocket extends Disposable {
  /** Sends text frames, in one write. */
  send(...texts: string[]): Promise<void>;
  /** Writes bytes as they are (frames made with {@linkcode frameHeader}). */
  write(bytes: Uint8Array): Promise<void>;
  /** Answers a ping with its payload (RFC 6455, 5.5.3). */
  pong(payload: Uint8Array): Promise<void>;
  /**
   * Reads every frame the server sends, in order, until the connection ends (a reset ends it
   * too); it answers nothing itself. Only one reader: `frames()` or `drain()`, once.
   */
  frames(): AsyncGenerator<ServerFrame>;
  /**
   * Reads what the server sends, answering nothing (not even a ping), until a close frame (its
   * code) or the end of the connection (`closeCode` null); `pings`: ping frames seen before.
   */
  drain(): Promise<{ bytes: number; closeCode: number | null; pings: number }>;
}

/** Does the WebSocket handshake on a TCP connection and reads nothing more. */
export async function rawWebSocket(origin: string): Promise<RawWebSocket> {
  const { hostname, port } = new URL(origin);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  await connection.write(encoder.encode(
    `GET /api/v1/ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n\r\n",
  ));
  // Read the 101 response byte by byte so that no frame after it is taken off the socket.
  let head = "";
  const one = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    if (await connection.read(one) === null) throw new Error(`Handshake failed: ${head}`);
    head += String.fromCharCode(one[0]!);
  }
  if (!head.startsWith("HTTP/1.1 101")) throw new Error(`Handshake failed: ${head}`);
  let bytes = 0;
  async function write(all: Uint8Array): Promise<void> {
    for (let written = 0; written < all.length;) {
      written += await connection.write(all.subarray(written));
    }
  }
  async function* frames(): AsyncGenerator<ServerFrame> {
    // Server frames are not masked: FIN/opcode, length (7, 16 or 64 bits), payload.
    let pending = new Uint8Array(0);
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (let n = await connection.read(buffer); n !== null; n = await connection.read(buffer)) {
        bytes += n;
        const joined = new Uint8Array(pending.length + n);
        joined.set(pending);
        joined.set(buffer.subarray(0, n), pending.length);
        let at = 0;
        for (;;) {
          if (joined.length - at < 2) break;
          const short = joined[at + 1]! & 0x7f;
          const header = short < 126 ? 2 : short === 126 ? 4 : 10;
          if (joined.length - at < header) break;
          const view = new DataView(joined.buffer, at);
          const length = short < 126
            ? short
            : short === 126
            ? view.getUint16(2)
            : Number(view.getBigUint64(2));
          if (joined.length - at < header + length) break;
          yield {
            opcode: joined[at]! & 0x0f,
            payload: joined.slice(at + header, at + header + length),
          };
          at += header + length;
        }
        pending = joined.slice(at);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
    }
  }
  return {
    async send(...texts) {
      const frames = texts.map(maskedTextFrame);
      const all = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0));
      let offset = 0;
      for (const frame of frames) {
        all.set(frame, offset);
        offset += frame.length;
      }
      await write(all);
    },
    write,
    pong: (payload) => write(maskedFrame(0xa, payload)),
    frames,
    async drain() {
      let pings = 0;
      for await (const { opcode, payload } of frames()) {
        if (opcode === 0x9) pings++;
        if (opcode === 0x8) {
          const code = payload.length >= 2 ? new DataView(payload.buffer).getUint16(0) : 1005;
          return { bytes, closeCode: code, pings };
        }
      }
      return { bytes, closeCode: null, pings };
    },
    [Symbol.dispose]() {
      try {
        connection.close();
      } catch {
        // already closed
      }
    },
  };
}
