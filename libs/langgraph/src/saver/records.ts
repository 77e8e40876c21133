// The JSON values the saver keeps in Statehouse (layout: thread-keys.ts).
import type { EncodedValue } from '../encoding/serde-codec';

/** Where the value of one channel is: its version, and the checkpoint that stored its blob. */
export interface ChannelRef {
  readonly version: string;
  readonly storedBy: string;
}

export interface CheckpointRecord {
  readonly id: string;
  readonly ns: string;
  readonly parentId: string | null;
  /** The checkpoint with `channel_values` left out (they are in blobs). */
  readonly checkpoint: EncodedValue;
  readonly metadata: EncodedValue;
  readonly channels: Readonly<Record<string, ChannelRef>>;
}

export interface WriteRecord {
  readonly taskId: string;
  readonly taskPath: string;
  readonly idx: number;
  readonly channel: string;
  readonly value: EncodedValue;
}
