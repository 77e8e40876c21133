import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis, Cluster } from 'ioredis';
import { MARKS } from '../storage/marks';
import type { ScriptCode } from './script-code';

/** A Lua script of this folder, ready for ioredis' `defineCommand`. */
export interface ScriptDefinition {
  /** The command name on the connection, e.g. `statehouseCommitTransactions`. */
  readonly command: string;
  /** Fixed number of keys, or undefined for a batch script (`-n`): the call passes the count first. */
  readonly numberOfKeys: number | undefined;
  readonly lua: string;
}

const FILE_NAME = /^([a-zA-Z]+)-(\d+|n)\.lua$/;
const INCLUDE = /^--- @include "([a-zA-Z]+)"$/gm;

/** The include that is no file: the marks of storage/marks.ts, generated from them. */
export const MARKS_INCLUDE = 'marks';

/** A Lua string literal of `text`'s UTF-8 bytes, each as a three-digit decimal escape. */
function luaBytes(text: string): string {
  const escapes = [...Buffer.from(text, 'utf8')].map(
    (byte) => `\\${String(byte).padStart(3, '0')}`,
  );
  return `'${escapes.join('')}'`;
}

/**
 * `--- @include "marks"`: each mark of storage/marks.ts as a Lua local of the same name and bytes.
 * Generated from the TypeScript constants when the scripts are read, so the two languages cannot
 * disagree on a name or a byte. A script includes it first, before any include that uses a mark
 * (marks.spec.ts checks that, and marks.test.ts the bytes Redis sees).
 */
export function marksInclude(): string {
  return [
    '-- The marks of storage/marks.ts, generated from them by commands/scripts.ts.',
    ...Object.entries(MARKS).map(([name, mark]) => `local ${name} = ${luaBytes(mark)}`),
  ].join('\n');
}

/**
 * The scripts of a folder: files `<name>-<keys>.lua` (`-n`: a batch script) whose lines
 * `--- @include "<name>"` are replaced by the generated marks, `includes/<name>.lua` of that
 * folder, or else the engine's own include (so a server's scripts share the engine's helpers).
 */
export function readScriptFolder(dir: string): ScriptDefinition[] {
  const include = (name: string): string => {
    if (name === MARKS_INCLUDE) return marksInclude();
    const own = join(dir, 'includes', `${name}.lua`);
    return readFileSync(existsSync(own) ? own : join(__dirname, 'includes', `${name}.lua`), 'utf8');
  };
  return readdirSync(dir)
    .map((file) => FILE_NAME.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([file, name, keys]) => ({
      command: `statehouse${name!.charAt(0).toUpperCase()}${name!.slice(1)}`,
      numberOfKeys: keys === 'n' ? undefined : Number(keys),
      lua: readFileSync(join(dir, file), 'utf8').replace(INCLUDE, (_, inc: string) => include(inc)),
    }));
}

let cached: ScriptDefinition[] | undefined;

function assertUnique(definitions: ScriptDefinition[]): ScriptDefinition[] {
  const seen = new Set<string>();
  for (const { command } of definitions) {
    if (seen.has(command))
      throw new Error(`Two Lua scripts define ${command}: remove the stale one`);
    seen.add(command);
  }
  return definitions;
}

/** Every script, read once per process from the folder next to this file. */
export function scriptDefinitions(): ScriptDefinition[] {
  cached ??= assertUnique(readScriptFolder(__dirname));
  return cached;
}

type Arg = string | number | Buffer;

/**
 * The scripts as methods, once defined on a connection. Batch scripts (`-n`) take the number of
 * keys first, then the keys, then the arguments. Replies are the raw script replies.
 */
export interface StatehouseCommands {
  statehouseBeginTransactions(
    numberOfKeys: number,
    ...keysAndArgs: Arg[]
  ): Promise<Array<number | string>>;
  statehouseStageOperations(
    numberOfKeys: number,
    ...keysAndArgs: Arg[]
  ): Promise<Array<number | string>>;
  statehouseCommitTransactions(
    numberOfKeys: number,
    ...keysAndArgs: Arg[]
  ): Promise<Array<number | string>>;
  statehouseCommitBuffered(
    numberOfKeys: number,
    ...keysAndArgs: Arg[]
  ): Promise<Array<number | string>>;
  statehouseAbortTransaction(
    tx: string,
    deadlines: string,
    staged: string,
    abortedSnapshot: string,
    timedOutSnapshot: string,
    retentionMs: number,
  ): Promise<[ScriptCode, string?]>;
  statehouseTimeoutTransaction(
    tx: string,
    deadlines: string,
    staged: string,
    timedOutSnapshot: string,
    retentionMs: number,
  ): Promise<[ScriptCode, (string | number)?]>;
  statehouseReadInTransaction(
    tx: string,
    state: string,
    deadlines: string,
    staged: string,
    field: string,
    timedOutSnapshot: string,
    retentionMs: number,
  ): Promise<[ScriptCode, (string | null)?, (string | null)?, (string | null)?]>;
  statehouseGetStateAsOf(
    state: string,
    log: string,
    clock: string,
    recordField: string,
    atTs: number,
  ): Promise<[ScriptCode, (number | string)?, number?, string?]>;
  statehouseListInTransaction(
    tx: string,
    index: string,
    state: string,
    deadlines: string,
    staged: string,
    agentId: string,
    min: Buffer,
    max: Buffer,
    limit: number,
    withValues: '0' | '1',
    timedOutSnapshot: string,
    retentionMs: number,
  ): Promise<[ScriptCode, (string[] | string)?, string[]?]>;
  statehouseListAsOf(
    state: string,
    index: string,
    log: string,
    clock: string,
    agentId: string,
    min: Buffer,
    max: Buffer,
    atTs: number,
    limit: number,
    withValues: '0' | '1',
    budget: number,
  ): Promise<[ScriptCode, (Array<string | number> | string | number)?, (string | null)?, number?]>;
  statehouseDueTransactions(
    deadlines: string,
    due: number,
    limit: number,
  ): Promise<[ScriptCode, ...Array<number | string>]>;
  statehouseInspectTransaction(
    tx: string,
    finished: string,
    localId: string,
  ): Promise<[ScriptCode, string?, string?, string?, string?, string?, number?, string?]>;
  statehouseScanPrefix(
    index: string,
    state: string,
    min: Buffer,
    max: Buffer,
    limit: number,
    ...membershipAndValues: [] | [membershipField: string, withValues: '1' | '0']
  ): Promise<string[]>;
  statehouseReplayPage(
    index: string,
    log: string,
    state: string,
    min: Buffer,
    max: Buffer,
    limit: number,
    agentPrefix: string,
    startTs: number,
  ): Promise<[ScriptCode, Array<[number, string | null, string[], string | null]> | number]>;
  statehouseGetStateAtVersion(
    state: string,
    log: string,
    versionField: string,
    recordField: string,
    version: number,
  ): Promise<[ScriptCode, number?, string?]>;
  statehouseStartCompaction(
    state: string,
    log: string,
    clock: string,
    maxAgeMs: number | '',
    deletedRecordTtlMs: number | '',
  ): Promise<[passEnd: number, ageCutoffTs: number, ttlCutoffTs: number, compactedTs: number]>;
  statehouseCompactStep(
    state: string,
    log: string,
    index: string,
    retention: string,
    cursor: string,
    passEnd: number,
    maxVersions: number,
    ageCutoffTs: number,
    ttlCutoffTs: number,
    budget: number,
  ): Promise<
    [
      cursor: string,
      done: 0 | 1,
      versionsRemoved: number,
      entriesRemoved: number,
      recordsRemoved: number,
      compactedTs: number,
    ]
  >;
  statehouseListAgents(
    index: string,
    state: string,
    clock: string,
    min: Buffer,
    max: Buffer,
    limit: number,
    listMax: Buffer,
  ): Promise<[ScriptCode, Array<string | number>?, number?, number?]>;
  statehouseImportSnapshot(
    clock: string,
    log: string,
    state: string,
    index: string,
    importRecord: string,
    ...args: string[]
  ): Promise<[number, (string | number)?]>;
  statehouseBackfillAgents(
    index: string,
    state: string,
    clock: string,
    firstMin: Buffer,
    budget: number,
  ): Promise<0 | 1>;
}

export type StatehouseConnection = (Redis | Cluster) & StatehouseCommands;

/** Defines every script on the connection (EVALSHA, with EVAL on a cache miss). Idempotent. */
export function defineScripts(redis: Redis | Cluster): StatehouseConnection {
  return defineScriptsOn(redis, scriptDefinitions()) as StatehouseConnection;
}

/**
 * Defines the given scripts (from `readScriptFolder`) on the connection as methods named after
 * their `command`. Idempotent.
 */
export function defineScriptsOn(
  redis: Redis | Cluster,
  definitions: readonly ScriptDefinition[],
): Redis | Cluster {
  const clusterPipelining = (redis as Cluster).isCluster && redis.options.enableAutoPipelining;
  for (const { command, numberOfKeys, lua } of definitions) {
    // A Cluster's auto-pipelining routes a script call by its first string argument, which for a
    // script with a variable number of keys is not its first key: its calls would share pipelines
    // across masters ("All keys in the pipeline should belong to the same slots allocation
    // group"). Scripts are grouped by our own batches anyway.
    if (clusterPipelining) {
      const ignored = ((redis as Cluster).options.autoPipeliningIgnoredCommands ??= []);
      if (!ignored.includes(command)) ignored.push(command);
    }
    if (typeof (redis as unknown as Record<string, unknown>)[command] !== 'function') {
      redis.defineCommand(command, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
    }
  }
  return redis;
}
