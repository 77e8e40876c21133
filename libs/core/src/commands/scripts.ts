import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis, Cluster } from 'ioredis';

/** A Lua script of this folder, ready for ioredis' `defineCommand`. */
export interface ScriptDefinition {
  /** The command name on the connection, e.g. `statehouseCommitTransaction`. */
  readonly command: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const FILE_NAME = /^([a-zA-Z]+)-(\d+)\.lua$/;
const INCLUDE = /^--- @include "([a-zA-Z]+)"$/gm;

function readScripts(dir: string): ScriptDefinition[] {
  const include = (name: string): string =>
    readFileSync(join(dir, 'includes', `${name}.lua`), 'utf8');
  return readdirSync(dir)
    .map((file) => FILE_NAME.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([file, name, keys]) => ({
      command: `statehouse${name!.charAt(0).toUpperCase()}${name!.slice(1)}`,
      numberOfKeys: Number(keys),
      lua: readFileSync(join(dir, file!), 'utf8').replace(INCLUDE, (_, inc: string) => include(inc)),
    }));
}

let cached: ScriptDefinition[] | undefined;

/** Every script, read once per process from the folder next to this file. */
export function scriptDefinitions(): ScriptDefinition[] {
  cached ??= readScripts(__dirname);
  return cached;
}

/** The scripts as typed methods, once defined on a connection. Replies are raw script replies. */
export interface StatehouseCommands {
  statehouseBeginTransaction(tx: string, openSnapshot: string, timeoutMs: number, retentionMs: number): Promise<[number, number?]>;
  statehouseStageOperation(
    tx: string, ops: string,
    field: string, kind: 'w' | 'd', json: string, maxOperations: number, maxBytes: number,
    timedOutSnapshot: string, retentionMs: number,
  ): Promise<[number, (string | number)?]>;
  statehouseCommitTransaction(
    tx: string, ops: string, clock: string, log: string, state: string, live: string, versions: string, agents: string,
    token: string, committedSnapshot: string, timedOutSnapshot: string, retentionMs: number, txId: string,
  ): Promise<[number, (string | number)?]>;
  statehouseAbortTransaction(tx: string, ops: string, abortedSnapshot: string, timedOutSnapshot: string, retentionMs: number): Promise<[number, string?]>;
  statehouseTimeoutTransaction(tx: string, ops: string, timedOutSnapshot: string, retentionMs: number): Promise<[number, (string | number)?]>;
  statehouseInspectTransaction(tx: string): Promise<[number, string?, string?, string?, string?, string?, number?]>;
  statehouseScanPrefix(live: string, state: string, min: Buffer, max: Buffer, limit: number): Promise<string[]>;
  statehouseReplayPage(agents: string, log: string, min: Buffer, max: Buffer, limit: number, agentPrefix: string): Promise<Array<[number, string | null, string[]]>>;
  statehouseGetStateAtVersion(versions: string, log: string, versionField: string, recordField: string): Promise<[number, number?, string?]>;
}

export type StatehouseConnection = (Redis | Cluster) & StatehouseCommands;

/** Defines every script on the connection (EVALSHA, with EVAL on a cache miss). Idempotent. */
export function defineScripts(redis: Redis | Cluster): StatehouseConnection {
  const connection = redis as StatehouseConnection;
  for (const { command, numberOfKeys, lua } of scriptDefinitions()) {
    if (typeof (connection as unknown as Record<string, unknown>)[command] !== 'function') {
      redis.defineCommand(command, { numberOfKeys, lua });
    }
  }
  return connection;
}
