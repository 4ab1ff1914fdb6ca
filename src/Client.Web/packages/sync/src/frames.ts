/** One frame of a pull answer (docs/protocol.md): a snapshot covering `seq`, or the change numbered `seq`. */
export interface Frame {
  kind: "snapshot" | "change";
  seq: number;
  bytes: Uint8Array;
}

const headerLength = 13;

/** Parses the framed body of `GET /changes`; throws on a truncated or unknown frame rather than guessing. */
export function readFrames(body: Uint8Array): Frame[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < body.byteLength) {
    if (body.byteLength - offset < headerLength) {
      throw new Error(`Truncated frame header at byte ${offset}.`);
    }
    const kindByte = view.getUint8(offset);
    if (kindByte !== 1 && kindByte !== 2) {
      throw new Error(`Unknown frame kind ${kindByte} at byte ${offset}.`);
    }
    const seq = Number(view.getBigInt64(offset + 1, false));
    const length = view.getUint32(offset + 9, false);
    const start = offset + headerLength;
    if (body.byteLength - start < length) {
      throw new Error(`Frame at byte ${offset} declares ${length} bytes; ${body.byteLength - start} remain.`);
    }
    frames.push({ kind: kindByte === 1 ? "snapshot" : "change", seq, bytes: body.slice(start, start + length) });
    offset = start + length;
  }
  return frames;
}
