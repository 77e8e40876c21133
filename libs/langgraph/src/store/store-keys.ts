// Where a StatehouseStore keeps its items (in its Statehouse namespace):
//
//   agent `store`
//     <label1>/<label2>/.../:<key>   { value, createdAt, updatedAt }: one record per item
//
// Labels are segments (encoding/segment.ts: `%`, `/` and `:` escaped), so the first `:` of a
// record key ends the namespace, and `<label1>/` is a prefix of exactly the items whose
// namespace starts with label1. The items of one namespace are contiguous in key order.
import { checkKeyLength, decodeSegment, encodeSegment } from '../encoding/segment';

export const STORE_AGENT = 'store';

export interface StoredItem {
  readonly value: Record<string, unknown>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The scan prefix of every item whose namespace starts with `labels` ('' for all). */
export function namespacePrefix(labels: readonly string[]): string {
  return labels.map((label) => `${encodeSegment(label)}/`).join('');
}

export function itemKey(labels: readonly string[], key: string, field: string): string {
  return checkKeyLength(`${namespacePrefix(labels)}:${key}`, field);
}

export function parseItemKey(recordKey: string): { namespace: string[]; key: string } {
  const marker = recordKey.indexOf(':');
  return {
    namespace: recordKey
      .slice(0, marker - 1)
      .split('/')
      .map(decodeSegment),
    key: recordKey.slice(marker + 1),
  };
}
