import { ScriptCode } from '../commands/script-code';
import type { StatehouseConnection } from '../commands/scripts';
import type { NamespaceKeys } from './keys';
import { AGENT_MARK } from './marks';
import { prefixRange } from './record-fields';
import { runCommand } from './redis-errors';

/** Agents walked per call of the one-time backfill of a namespace's agent list. */
const BACKFILL_BUDGET = 1000;

export interface AgentRow {
  readonly agentId: string;
  readonly keyCount: number;
  readonly lastCommitTs: number;
}

export interface AgentPage {
  readonly agents: AgentRow[];
  /** Every agent of the namespace, and its last commitTs, in the same snapshot as the page. */
  readonly agentCount: number;
  readonly lastCommitTs: number;
}

/**
 * The agent list of a namespace (listAgents-3.lua): entries `AGENT_MARK agentId` of its ordered
 * index, written by the commit that touches an agent. A namespace written before that list
 * existed gets it once, from a bounded, resumable backfill run by its first listing.
 */
export class ListingRepository {
  constructor(
    private readonly redis: StatehouseConnection,
    private readonly keys: (namespace: string) => NamespaceKeys,
  ) {}

  /** Up to `limit` agents whose id starts with `prefix`, after the agent `after`. */
  async agents(
    namespace: string,
    prefix: string,
    after: string | undefined,
    limit: number,
  ): Promise<AgentPage> {
    const keys = this.keys(namespace);
    const [min, max] = prefixRange(
      AGENT_MARK + prefix,
      after === undefined ? undefined : AGENT_MARK + after,
    );
    const [, listMax] = prefixRange(AGENT_MARK);
    for (;;) {
      const [code, flat, agentCount, lastCommitTs] = await runCommand(undefined, () =>
        this.redis.statehouseListAgents(
          keys.index,
          keys.state,
          keys.clock,
          min,
          max,
          limit,
          listMax,
        ),
      );
      if (code === ScriptCode.AGENTS_NOT_INDEXED) {
        await this.backfill(keys);
        continue;
      }
      const agents: AgentRow[] = [];
      const rows = flat ?? [];
      for (let i = 0; i < rows.length; i += 3) {
        agents.push({
          agentId: String(rows[i]),
          keyCount: Number(rows[i + 1]),
          lastCommitTs: Number(rows[i + 2]),
        });
      }
      return { agents, agentCount: Number(agentCount), lastCommitTs: Number(lastCommitTs) };
    }
  }

  /** Runs the namespace's one-time agent-list backfill to its end (a bounded step per call). */
  private async backfill(keys: NamespaceKeys): Promise<void> {
    // The agents' own entries start past every `AGENT_MARK agentId`: after `AGENT_MARK 0xFF`.
    const [, listEnd] = prefixRange(AGENT_MARK);
    while (
      (await runCommand(undefined, () =>
        this.redis.statehouseBackfillAgents(
          keys.index,
          keys.state,
          keys.clock,
          listEnd,
          BACKFILL_BUDGET,
        ),
      )) !== 1
    );
  }
}
