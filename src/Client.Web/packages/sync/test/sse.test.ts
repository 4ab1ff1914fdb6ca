import { describe, expect, it } from "vitest";
import { readServerEvents, type ServerEvent } from "../src/sse.js";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>): Promise<ServerEvent[]> {
  const events: ServerEvent[] = [];
  for await (const event of readServerEvents(stream)) events.push(event);
  return events;
}

describe("readServerEvents", () => {
  it("reads events as the Sync service sends them, skipping retry and heartbeats", async () => {
    const events = await all(streamOf("retry: 3000\n\n", "id: 7\nevent: head\ndata: {\"seq\":7}\n\n", ": heartbeat\n\n", "event: revoked\ndata: {}\n\n"));
    expect(events).toEqual([
      { event: "head", data: "{\"seq\":7}", id: "7" },
      { event: "revoked", data: "{}", id: "7" },
    ]);
  });

  it("joins lines split across chunks, CRLF endings and multi-line data", async () => {
    const events = await all(streamOf("ev", "ent: head\r\nda", "ta: a\r\ndata: b\r", "\n\r\n", "data:plain\n\n"));
    expect(events).toEqual([
      { event: "head", data: "a\nb" },
      { event: "message", data: "plain" },
    ]);
  });

  it("drops an event the stream cut off before its blank line", async () => {
    expect(await all(streamOf("event: head\ndata: {\"seq\":1}\n"))).toEqual([]);
  });

  it("decodes a UTF-8 character split between chunks", async () => {
    const bytes = new TextEncoder().encode("data: é\n\n");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 7));
        controller.enqueue(bytes.slice(7));
        controller.close();
      },
    });
    expect(await all(stream)).toEqual([{ event: "message", data: "é" }]);
  });
});
