/**
 * A protocol-buffers writer, just enough for ONNX files: varints (int64 as two's complement, as
 * protobuf does), length-delimited strings, bytes and nested messages, fixed 32-bit floats. A
 * message is a list of byte chunks with their total length, so a nested message (a graph of
 * megabytes of weights) is framed without copying; `bytes()` joins it once at the end.
 * Browser-safe: plain typed arrays.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

function varint(v: bigint | number): Uint8Array {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Uint8Array.from(out);
}

const utf8 = new TextEncoder();

/** One protobuf message being written: fields in the order they are added. */
export class ProtoMessage {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  get byteLength(): number {
    return this.length;
  }

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  private tag(field: number, wire: number): void {
    this.push(varint((field << 3) | wire));
  }

  /** int32, int64, enum or bool field. */
  int(field: number, v: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.push(varint(v));
    return this;
  }

  /** A repeated int64 field, packed (proto3's default). */
  packedInts(field: number, vs: readonly number[]): this {
    const body = vs.map((v) => varint(v));
    this.tag(field, WIRE_LEN);
    this.push(varint(body.reduce((a, b) => a + b.length, 0)));
    for (const b of body) this.push(b);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytesField(field, utf8.encode(s));
  }

  bytesField(field: number, b: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.push(varint(b.length));
    this.push(b);
    return this;
  }

  message(field: number, m: ProtoMessage): this {
    this.tag(field, WIRE_LEN);
    this.push(varint(m.length));
    for (const c of m.chunks) this.push(c);
    return this;
  }

  /** The encoded message as chunks (for a file written piece by piece). */
  parts(): Uint8Array[] {
    return [...this.chunks];
  }

  /** The encoded message as one array. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
