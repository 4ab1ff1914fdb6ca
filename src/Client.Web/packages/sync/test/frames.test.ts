import { describe, expect, it } from "vitest";
import { readFrames } from "../src/frames.js";

const hex = (s: string) => Uint8Array.from(s.trim().split(/\s+/).map((b) => parseInt(b, 16)));

describe("readFrames", () => {
  it("reads the worked example of docs/protocol.md", () => {
    const body = hex(`
      02 00 00 00 00 00 00 00 01 00 00 00 02 68 69
      02 00 00 00 00 00 00 00 02 00 00 00 01 21`);
    expect(readFrames(body)).toEqual([
      { kind: "change", seq: 1, bytes: hex("68 69") },
      { kind: "change", seq: 2, bytes: hex("21") },
    ]);
  });

  it("reads a snapshot followed by a change", () => {
    const body = hex(`
      01 00 00 00 00 00 00 00 01 00 00 00 04 73 6e 61 70
      02 00 00 00 00 00 00 00 02 00 00 00 01 21`);
    const frames = readFrames(body);
    expect(frames.map((f) => [f.kind, f.seq])).toEqual([["snapshot", 1], ["change", 2]]);
    expect(new TextDecoder().decode(frames[0]!.bytes)).toBe("snap");
  });

  it("reads frames inside a larger buffer at an offset", () => {
    const whole = hex("ff ff 02 00 00 00 00 00 00 00 07 00 00 00 01 2a");
    expect(readFrames(whole.subarray(2))).toEqual([{ kind: "change", seq: 7, bytes: hex("2a") }]);
  });

  it("reads an empty body as no frames", () => {
    expect(readFrames(new Uint8Array())).toEqual([]);
  });

  it("refuses a truncated header, a truncated payload and an unknown kind", () => {
    expect(() => readFrames(hex("02 00 00 00"))).toThrow(/Truncated frame header/);
    expect(() => readFrames(hex("02 00 00 00 00 00 00 00 01 00 00 00 05 68 69"))).toThrow(/declares 5 bytes; 2 remain/);
    expect(() => readFrames(hex("09 00 00 00 00 00 00 00 01 00 00 00 00"))).toThrow(/Unknown frame kind 9/);
  });
});
