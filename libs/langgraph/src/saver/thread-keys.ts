// Where a LangGraph thread lives in Statehouse (all in the saver's namespace):
//
//   agent `thread:<thread_id>`             one agent per thread: its whole history is the agent's
//                                          replay, and `deleteThread` empties one agent
//     checkpoint/<ns>/<checkpoint_id>      CheckpointRecord (the checkpoint without its channel
//                                          values, its metadata, its parent, where each value is)
//     latest/<ns>                          a copy of the record with the greatest id in <ns>, so
//                                          loading a thread's head is one read
//     blob/<ns>/<channel>/<checkpoint_id>  one channel value, stored by the checkpoint that wrote
//                                          it; later checkpoints point at it while it is unchanged
//     write/<ns>/<checkpoint_id>/<task_id>/<idx>
//                                          WriteRecord: a pending write of a task
//   agent `threads`
//     <thread_id>                          `{}`: the thread exists (for list() across threads)
//
// <ns> (checkpoint_ns, '' for the root graph), ids, channels and task ids are segments
// (encoding/segment.ts): a '/' inside them is escaped, so a prefix scan never crosses into
// another namespace or checkpoint.
import { checkKeyLength, encodeSegment } from '../encoding/segment';

export const THREADS_AGENT = 'threads';
const NS_FIELD = 'config.configurable.checkpoint_ns';

export function threadAgent(threadId: string): string {
  return checkKeyLength(`thread:${threadId}`, 'config.configurable.thread_id');
}

export function checkpointPrefix(ns?: string): string {
  return ns === undefined ? 'checkpoint/' : `checkpoint/${encodeSegment(ns)}/`;
}

export function checkpointKey(ns: string, checkpointId: string): string {
  return checkKeyLength(`${checkpointPrefix(ns)}${encodeSegment(checkpointId)}`, NS_FIELD);
}

export function latestKey(ns: string): string {
  return checkKeyLength(`latest/${encodeSegment(ns)}`, NS_FIELD);
}

export function blobKey(ns: string, channel: string, checkpointId: string): string {
  return checkKeyLength(
    `blob/${encodeSegment(ns)}/${encodeSegment(channel)}/${encodeSegment(checkpointId)}`,
    NS_FIELD,
  );
}

export function writesPrefix(ns: string, checkpointId: string): string {
  return `write/${encodeSegment(ns)}/${encodeSegment(checkpointId)}/`;
}

export function writeKey(ns: string, checkpointId: string, taskId: string, idx: number): string {
  return checkKeyLength(
    `${writesPrefix(ns, checkpointId)}${encodeSegment(taskId)}/${idx}`,
    NS_FIELD,
  );
}
