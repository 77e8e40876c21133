// Values go through the saver's `serde` (LangGraph's JsonPlusSerializer by default) and are kept
// as the exact text it produced: `{ type: 'json', json: '<text>' }`, or base64 for bytes. Keeping
// the text (not a parsed object) is lossless (big integers, key order, LangChain's `lc` objects)
// and stays clear of Statehouse's nesting-depth limit, while still being readable with our tools.
import type { SerializerProtocol } from '@langchain/langgraph-checkpoint';
import { UnserializableValueError } from '../errors/unserializable-value.error';

export interface EncodedValue {
  readonly type: string;
  readonly json?: string;
  readonly base64?: string;
}

/** What the default serde writes, whole, when its stringify fails (a BigInt anywhere inside). */
const GAVE_UP = '"[unable to serialize, circular reference is too complex to analyze]"';

export class SerdeCodec {
  constructor(private readonly serde: SerializerProtocol) {}

  async encode(value: unknown, field: string): Promise<EncodedValue> {
    let type: string;
    let bytes: Uint8Array;
    try {
      [type, bytes] = await this.serde.dumpsTyped(value);
    } catch (error) {
      throw new UnserializableValueError(field, (error as Error)?.message ?? String(error), error);
    }
    if (type !== 'json') return { type, base64: Buffer.from(bytes).toString('base64') };
    const json = Buffer.from(bytes).toString('utf8');
    if (json === GAVE_UP && value !== JSON.parse(GAVE_UP)) {
      throw new UnserializableValueError(
        field,
        'the serializer gave up on it (a BigInt, or a structure it cannot analyze)',
      );
    }
    return { type, json };
  }

  decode(encoded: EncodedValue): Promise<unknown> {
    if (encoded.json !== undefined) return this.serde.loadsTyped(encoded.type, encoded.json);
    return this.serde.loadsTyped(encoded.type, Buffer.from(encoded.base64 ?? '', 'base64'));
  }
}
