import {
  encodeCursor,
  validateArgs,
  validateName,
  validatePageOf,
  type AgentInfo,
  type ListAgentsInput,
  type NamespaceInfo,
} from '@statehouse/contract';
import type { ListingRepository } from '../storage/listing.repository';
import type { NamespaceRegistry } from '../storage/namespace-registry';

/** The operator's listings: namespaces (from the registry) and a namespace's agents. */
export class Listings {
  constructor(
    private readonly registry: NamespaceRegistry,
    private readonly listing: ListingRepository,
  ) {}

  /**
   * Every registered namespace with a commit, with its agent count and last commitTs; `allowed`
   * filters the names first (a server's token scope).
   */
  async namespaces(allowed?: (namespace: string) => boolean): Promise<NamespaceInfo[]> {
    const names = (await this.registry.all()).filter((name) => !allowed || allowed(name));
    const infos = await Promise.all(
      names.map(async (namespace) => {
        const { agentCount, lastCommitTs } = await this.listing.agents(namespace, '', undefined, 0);
        return { namespace, agentCount, lastCommitTs };
      }),
    );
    // Registered before a commit that then failed: nothing to list.
    return infos.filter((info) => info.lastCommitTs > 0);
  }

  async agents(
    namespace: string,
    input: ListAgentsInput,
  ): Promise<{ agents: AgentInfo[]; cursor: string | null }> {
    const args = validateArgs<ListAgentsInput>(input, 'listAgents');
    const prefix =
      args.prefix === undefined || args.prefix === null
        ? ''
        : validateName(args.prefix, 'prefix', { allowEmpty: true });
    const { limit, after } = validatePageOf(args, prefix);
    // One more than the page says whether another page follows.
    const { agents } = await this.listing.agents(namespace, prefix, after, limit + 1);
    const page = agents.slice(0, limit);
    return {
      agents: page,
      cursor: agents.length > limit ? encodeCursor(page[page.length - 1]!.agentId) : null,
    };
  }
}
