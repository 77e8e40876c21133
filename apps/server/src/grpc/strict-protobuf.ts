import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';

/**
 * protobufjs (7.x) decodes a string field of a Node Buffer with `BufferReader.string`, which clamps
 * a length running past the end of the message instead of refusing it: the truncated message
 * `0a 32 6e 73` (field 1, 50 bytes announced, 2 present) decodes as "ns". Its plain Reader (for
 * Uint8Arrays) refuses it, but decodes strings ten times slower (177 ms instead of 15 ms for
 * 16 MiB). This gives BufferReader the plain Reader's check at BufferReader's speed, in the
 * protobufjs instance that @grpc/proto-loader uses (so every RPC of both services, and any
 * nested message, is covered): a truncated message fails to decode, and the server answers
 * INVALID_ARGUMENT.
 */
export function refuseTruncatedStrings(): void {
  const protobuf = createRequire(require.resolve('@grpc/proto-loader'))(
    'protobufjs',
  ) as typeof Protobuf;
  const prototype = protobuf.BufferReader.prototype as Protobuf.BufferReader & {
    buf: Buffer;
    strict?: true;
  };
  if (prototype.strict) return;
  prototype.strict = true;
  prototype.string = function strictString(this: typeof prototype): string {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.len) {
      throw new RangeError(`index out of range: ${this.pos} + ${length} > ${this.len}`);
    }
    const text = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return text;
  };
}
