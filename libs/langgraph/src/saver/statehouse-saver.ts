// A LangGraph checkpoint saver on any StatehouseApi (the embedded engine or the network client).
// Layout in Statehouse: thread-keys.ts. Decisions: docs/design.md, "LangGraph".
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  TASKS,
  WRITES_IDX_MAP,
  compareWritesSortKeys,
  maxChannelVersion,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import {
  ValidationError,
  validateName,
  validateNamespace,
  type StatehouseApi,
} from '@statehouse/contract';
import { listAllKeys, scanAll } from '../encoding/pages';
import { SerdeCodec } from '../encoding/serde-codec';
import { CheckpointNotFoundError } from '../errors/checkpoint-not-found.error';
import type { ChannelRef, CheckpointRecord, WriteRecord } from './records';
import {
  readAddress,
  readBeforeId,
  readListNs,
  readThreadId,
  requireAddress,
  type CheckpointAddress,
} from './thread-config';
import {
  THREADS_AGENT,
  blobKey,
  checkpointKey,
  checkpointPrefix,
  latestKey,
  threadAgent,
  writeKey,
  writesPrefix,
} from './thread-keys';

export interface StatehouseSaverOptions {
  /** The Statehouse namespace of every thread of this saver. Default: the client's. */
  readonly namespace?: string;
  /** How values are encoded. Default: LangGraph's JsonPlusSerializer. */
  readonly serde?: SerializerProtocol;
}

/** Records deleted per transaction by deleteThread (a transaction holds at most 1000 by default). */
const DELETE_BATCH = 500;
/** Runs of a put after a conflict (two puts on one thread's head at once; LangGraph makes one). */
const PUT_RETRIES = 20;

export class StatehouseSaver extends BaseCheckpointSaver {
  /** The Statehouse namespace this saver writes to. */
  readonly namespace: string;
  private readonly codec: SerdeCodec;

  constructor(
    private readonly client: StatehouseApi,
    options: StatehouseSaverOptions = {},
  ) {
    super(options.serde);
    this.namespace = validateNamespace(options.namespace ?? client.namespace, 'options.namespace');
    this.codec = new SerdeCodec(this.serde);
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const address = readAddress(config);
    if (!address) return undefined;
    const key = address.checkpointId
      ? checkpointKey(address.ns, address.checkpointId)
      : latestKey(address.ns);
    const state = await this.client.getState({
      namespace: this.namespace,
      agentId: threadAgent(address.threadId),
      key,
    });
    if (!state.exists) return undefined;
    return this.toTuple(address.threadId, state.value as unknown as CheckpointRecord);
  }

  async *list(
    config: RunnableConfig,
    options: CheckpointListOptions = {},
  ): AsyncGenerator<CheckpointTuple> {
    const address = readAddress(config);
    const ns = readListNs(config);
    const before = readBeforeId(options.before);
    let remaining = options.limit ?? Infinity;
    if (remaining <= 0) return;
    const threads = address ? [address.threadId] : this.allThreads();
    for await (const threadId of threads) {
      for (const record of await this.threadRecords(threadId, ns)) {
        if (address?.checkpointId !== undefined && record.id !== address.checkpointId) continue;
        if (before !== undefined && record.id >= before) continue;
        if (options.filter && !(await this.matches(record, options.filter))) continue;
        yield await this.toTuple(threadId, record);
        remaining -= 1;
        if (remaining <= 0) return;
      }
    }
  }

  /**
   * One Statehouse transaction: the checkpoint's record, the head pointer of its namespace, the
   * values of the channels in `newVersions`, and the thread's index entry. A parent named by
   * `config.configurable.checkpoint_id` must exist (CheckpointNotFoundError).
   */
  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const address = requireAddress(config, 'put');
    const id = validateName(checkpoint.id, 'checkpoint.id');
    const { threadId, ns } = address;
    const agentId = threadAgent(threadId);
    const { channel_values: values, ...withoutValues } = checkpoint;
    const blobs = await Promise.all(
      Object.keys(newVersions)
        .filter((channel) => values[channel] !== undefined)
        .map(async (channel) => ({
          channel,
          key: blobKey(ns, channel, id),
          value: await this.codec.encode(values[channel], `checkpoint.channel_values.${channel}`),
        })),
    );
    const stored = new Set(blobs.map(({ channel }) => channel));
    const encoded = {
      checkpoint: await this.codec.encode(withoutValues, 'checkpoint'),
      metadata: await this.codec.encode(metadata, 'metadata'),
    };
    const keys = { record: checkpointKey(ns, id), latest: latestKey(ns) };
    await this.client.transaction(
      async (tx) => {
        // One read of the three (one call over the network).
        const [latest, indexed, parent] = await tx.getMany([
          { agentId, key: keys.latest },
          { agentId: THREADS_AGENT, key: threadId },
          ...(address.checkpointId
            ? [{ agentId, key: checkpointKey(ns, address.checkpointId) }]
            : []),
        ]);
        if (parent && !parent.exists) {
          throw new CheckpointNotFoundError(threadId, ns, address.checkpointId!);
        }
        const parentRecord = parent?.value as unknown as CheckpointRecord | undefined;
        const record: CheckpointRecord = {
          id,
          ns,
          parentId: address.checkpointId ?? null,
          ...encoded,
          channels: channelRefs(checkpoint, stored, id, parentRecord),
        };
        await named('checkpoint', tx.write({ agentId, key: keys.record, value: record }));
        for (const blob of blobs) {
          const field = `checkpoint.channel_values.${blob.channel}`;
          await named(field, tx.write({ agentId, key: blob.key, value: blob.value }));
        }
        const head = latest!.value as unknown as CheckpointRecord | null;
        if (!head || head.id <= id) await tx.write({ agentId, key: keys.latest, value: record });
        if (!indexed!.exists) await tx.write({ agentId: THREADS_AGENT, key: threadId, value: {} });
      },
      // puts racing on one thread's head retry (with backoff) until each is in: none may be lost
      { namespace: this.namespace, buffered: true, maxRetries: PUT_RETRIES },
    );
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: id } };
  }

  /**
   * Stores a task's writes against a checkpoint, in one transaction. A regular write already
   * stored under the same (task, index) is kept (the first result of a task wins, as in every
   * LangGraph saver); special writes (errors, interrupts, resumes) replace theirs. The checkpoint
   * need not exist yet: LangGraph sends writes while the put of their checkpoint is in flight.
   */
  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath = '',
  ): Promise<void> {
    const address = requireAddress(config, 'putWrites');
    const { threadId, ns } = address;
    const cpId = address.checkpointId;
    if (cpId === undefined) {
      throw new ValidationError(
        'config.configurable.checkpoint_id',
        'is required by putWrites: writes belong to a checkpoint',
      );
    }
    validateName(taskId, 'taskId');
    const agentId = threadAgent(threadId);
    const records = await Promise.all(
      writes.map(async ([channel, value], index) => {
        const idx = WRITES_IDX_MAP[channel] ?? index;
        const record: WriteRecord = {
          taskId,
          taskPath,
          idx,
          channel,
          value: await this.codec.encode(value, `writes[${index}]`),
        };
        return { key: writeKey(ns, cpId, taskId, idx), record, field: `writes[${index}]` };
      }),
    );
    await this.client.transaction(
      async (tx) => {
        const existing = await Promise.all(
          records.map(async ({ key, record }) =>
            record.idx >= 0 ? (await tx.get({ agentId, key })).exists : false,
          ),
        );
        for (const [i, { key, record, field }] of records.entries()) {
          if (!existing[i]) await named(field, tx.write({ agentId, key, value: record }));
        }
      },
      { namespace: this.namespace, buffered: true },
    );
  }

  /**
   * Deletes every record of the thread. A thread of up to DELETE_BATCH records goes in one
   * transaction; a longer one in several, its index entry and head pointers first (it stops
   * being listed or loaded at once), so a deleteThread interrupted midway is finished by the next.
   */
  async deleteThread(threadId: string): Promise<void> {
    const id = readThreadId(threadId, 'threadId');
    const agentId = threadAgent(id);
    const keys: string[] = [];
    for await (const key of listAllKeys(this.client, { namespace: this.namespace, agentId })) {
      keys.push(key);
    }
    keys.sort((a, b) => Number(b.startsWith('latest/')) - Number(a.startsWith('latest/')));
    const operations = [
      { agentId: THREADS_AGENT, key: id },
      ...keys.map((key) => ({ agentId, key })),
    ];
    for (let start = 0; start < operations.length; start += DELETE_BATCH) {
      const batch = operations.slice(start, start + DELETE_BATCH);
      await this.client.transaction(
        async (tx) => {
          for (const operation of batch) await tx.delete(operation);
        },
        { namespace: this.namespace, buffered: true },
      );
    }
  }

  private async *allThreads(): AsyncGenerator<string> {
    yield* listAllKeys(this.client, { namespace: this.namespace, agentId: THREADS_AGENT });
  }

  /** The thread's checkpoint records (of one checkpoint_ns, or all), newest id first. */
  private async threadRecords(threadId: string, ns?: string): Promise<CheckpointRecord[]> {
    const records: CheckpointRecord[] = [];
    const entries = scanAll(this.client, {
      namespace: this.namespace,
      agentId: threadAgent(threadId),
      prefix: checkpointPrefix(ns),
    });
    for await (const entry of entries) records.push(entry.value as unknown as CheckpointRecord);
    return records.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  private async matches(
    record: CheckpointRecord,
    filter: Record<string, unknown>,
  ): Promise<boolean> {
    const metadata = (await this.codec.decode(record.metadata)) as Record<string, unknown>;
    return Object.entries(filter).every(([key, value]) => metadata?.[key] === value);
  }

  private async toTuple(threadId: string, record: CheckpointRecord): Promise<CheckpointTuple> {
    const address: CheckpointAddress = { threadId, ns: record.ns, checkpointId: record.id };
    const [checkpoint, metadata, channelValues, pendingWrites] = await Promise.all([
      this.codec.decode(record.checkpoint) as Promise<Checkpoint>,
      this.codec.decode(record.metadata) as Promise<CheckpointMetadata>,
      this.loadChannels(address, record.channels),
      this.loadWrites(address, record.id),
    ]);
    checkpoint.channel_values = channelValues;
    if (checkpoint.v < 4 && record.parentId !== null) {
      await this.migratePendingSends(checkpoint, address, record.parentId);
    }
    const tuple: CheckpointTuple = {
      config: configOf(threadId, record.ns, record.id),
      checkpoint,
      metadata,
      pendingWrites,
    };
    if (record.parentId !== null)
      tuple.parentConfig = configOf(threadId, record.ns, record.parentId);
    return tuple;
  }

  private async loadChannels(
    address: CheckpointAddress,
    refs: Readonly<Record<string, ChannelRef>>,
  ): Promise<Record<string, unknown>> {
    const agentId = threadAgent(address.threadId);
    const loaded = await Promise.all(
      Object.entries(refs).map(async ([channel, ref]) => {
        const key = blobKey(address.ns, channel, ref.storedBy);
        const blob = await this.client.getState({ namespace: this.namespace, agentId, key });
        return blob.exists
          ? [[channel, await this.codec.decode(blob.value as never)] as const]
          : [];
      }),
    );
    return Object.fromEntries(loaded.flat());
  }

  /** Pending writes of a checkpoint in writesSortKey order, as live execution applies them. */
  private async loadWrites(
    address: CheckpointAddress,
    checkpointId: string,
  ): Promise<CheckpointPendingWrite[]> {
    const records: WriteRecord[] = [];
    const entries = scanAll(this.client, {
      namespace: this.namespace,
      agentId: threadAgent(address.threadId),
      prefix: writesPrefix(address.ns, checkpointId),
    });
    for await (const entry of entries) records.push(entry.value as unknown as WriteRecord);
    records.sort((a, b) =>
      compareWritesSortKeys(
        writesSortKey(a.taskPath, a.taskId, a.idx),
        writesSortKey(b.taskPath, b.taskId, b.idx),
      ),
    );
    return Promise.all(
      records.map(async (r): Promise<CheckpointPendingWrite> => [
        r.taskId,
        r.channel,
        await this.codec.decode(r.value),
      ]),
    );
  }

  /** Checkpoints before format 4 kept pending sends as writes of their parent (as MemorySaver). */
  private async migratePendingSends(
    checkpoint: Checkpoint,
    address: CheckpointAddress,
    parentId: string,
  ): Promise<void> {
    const parentWrites = await this.loadWrites(address, parentId);
    checkpoint.channel_values[TASKS] = parentWrites
      .filter(([, channel]) => channel === TASKS)
      .map(([, , value]) => value);
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] =
      versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}

/** A value the engine refused (too large), blamed on the input it came from. */
async function named(field: string, write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (error instanceof ValidationError && error.field.startsWith('value')) {
      throw new ValidationError(field, error.rule);
    }
    throw error;
  }
}

function configOf(threadId: string, ns: string, checkpointId: string): RunnableConfig {
  return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId } };
}

/**
 * Where each channel's value is: a channel in `stored` was written by this checkpoint; another
 * keeps the parent's blob while its version is the parent's. A channel with neither is empty.
 */
function channelRefs(
  checkpoint: Checkpoint,
  stored: ReadonlySet<string>,
  id: string,
  parent: CheckpointRecord | undefined,
): Record<string, ChannelRef> {
  const refs = Object.entries(checkpoint.channel_versions).flatMap(([channel, raw]) => {
    const version = String(raw);
    if (stored.has(channel)) return [[channel, { version, storedBy: id }] as const];
    const inherited = parent?.channels[channel];
    return inherited?.version === version ? [[channel, inherited] as const] : [];
  });
  return Object.fromEntries(refs);
}
