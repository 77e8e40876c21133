import {
  encodeCursor,
  validateArgs,
  validateName,
  validatePageOf,
  type AgentInfo,
  type ExportOptions,
  type ImportOptions,
  type ImportSource,
  type ImportSummary,
  type ListAgentsInput,
  type NamespaceInfo,
} from '@statehouse/contract';
import { ListingRepository } from '../storage/listing.repository';
import type { RecordRepository } from '../storage/record.repository';
import type { TransactionRepository } from '../storage/transaction.repository';
import { exportLines, exportPlan } from './snapshot-export';
import { importSnapshot, type ImportDeps } from './snapshot-import';

/**
 * The operator's tools behind the client: listings of namespaces (the registry) and of a
 * namespace's agents (its agent list), and snapshots out and in. Inputs arrive with their
 * namespace resolved (the client's default applied).
 */
export class OperatorTools {
  private readonly listing: ListingRepository;

  constructor(
    private readonly transactions: TransactionRepository,
    private readonly records: RecordRepository,
    private readonly imports: Pick<ImportDeps, 'maxValueBytes' | 'commitOperations'>,
  ) {
    this.listing = new ListingRepository(transactions.redis, (namespace) =>
      transactions.keys(namespace),
    );
  }

  /**
   * Every registered namespace with a commit, with its agent count and last commitTs; `allowed`
   * filters the names first (a server's token scope).
   */
  async namespaces(allowed?: (namespace: string) => boolean): Promise<NamespaceInfo[]> {
    const names = (await this.transactions.registry.all()).filter(
      (name) => !allowed || allowed(name),
    );
    const infos = await Promise.all(
      names.map(async (namespace) => {
        const { agentCount, lastCommitTs } = await this.listing.agents(namespace, '', undefined, 0);
        return { namespace, agentCount, lastCommitTs };
      }),
    );
    // Registered before a commit that then failed: nothing to list.
    return infos.filter((info) => info.lastCommitTs > 0);
  }

  /** The one-time registration of namespaces written before the registry (a SCAN). */
  indexExistingNamespaces(): Promise<number> {
    return this.transactions.registry.discover();
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

  /** The snapshot's lines; the options are checked now, the first Redis call waits for the loop. */
  exportSnapshot(namespace: string, options: ExportOptions): AsyncIterable<string> {
    const plan = exportPlan(options, namespace);
    return { [Symbol.asyncIterator]: () => exportLines(this.records, this.listing, plan) };
  }

  importSnapshot(
    source: ImportSource,
    options: ImportOptions,
    authorize: (namespace: string) => void,
  ): Promise<ImportSummary> {
    const { transactions } = this;
    return importSnapshot(
      {
        ...this.imports,
        redis: transactions.redis,
        keys: (namespace) => transactions.keys(namespace),
        listing: this.listing,
        replicated: (namespace) => transactions.replicated(namespace),
        register: (namespace) => transactions.registry.ensure(namespace) ?? Promise.resolve(),
      },
      source,
      options,
      undefined,
      authorize,
    );
  }
}
