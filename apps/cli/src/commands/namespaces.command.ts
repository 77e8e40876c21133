import type { Command } from 'commander';
import type { StatehouseClient } from '@statehouse/client';
import type { AgentInfo } from '@statehouse/contract';
import { columnWidths, count, displayName, table } from '../output/table';
import type { Runner } from '../runner';
import { integer } from './arguments';

export function registerNamespaces(program: Command, runner: Runner): void {
  program
    .command('namespaces')
    .description(
      'the namespaces (with tokens: those the token may use), with their agent count and last commitTs',
    )
    .action(
      runner.action<[], object>(async (context) => {
        const { namespaces } = await (await context.connect()).listNamespaces();
        if (context.out.json) {
          await context.out.document({ namespaces });
          return;
        }
        if (namespaces.length === 0) {
          context.out.note('no namespaces yet (a namespace appears with its first commit)');
          return;
        }
        await context.out.lines(
          table(
            ['NAMESPACE', 'AGENTS', 'LAST COMMITTS'],
            namespaces.map((info) => [
              displayName(info.namespace),
              count(info.agentCount),
              String(info.lastCommitTs),
            ]),
          ),
        );
      }),
    );
}

/** Agents fetched per call. */
const PAGE = 1000;

interface AgentsOptions {
  readonly prefix?: string;
  readonly limit?: number;
}

export function registerAgents(program: Command, runner: Runner): void {
  program
    .command('agents')
    .description(
      "a namespace's agents in byte-wise order of their id, with their live key count and last commitTs",
    )
    .option('--prefix <P>', 'only agents whose id starts with P')
    .option('--limit <N>', 'at most N agents', integer(1))
    .action(
      runner.action<[], AgentsOptions>(async (context, options) => {
        const client = await context.connect();
        const { namespace } = context.connection;
        const out = context.out;
        // Streamed page by page (memory bounded by a page however many agents): with --json,
        // one document written as it comes; for people, columns sized by the first page.
        let widths: number[] | undefined;
        let shown = 0;
        // The document opens once the first page arrived: a refusal leaves stdout empty.
        const open = `{"namespace":${JSON.stringify(namespace)},"agents":[`;
        let opened = false;
        for await (const page of agentPages(client, namespace, options)) {
          if (out.json) {
            if (!opened) await out.write(open);
            opened = true;
            const items = page.map((agent) => JSON.stringify(agent));
            await out.write((shown > 0 && items.length > 0 ? ',' : '') + items.join(','));
          } else {
            const rows = page.map((agent) => [
              count(agent.keyCount),
              String(agent.lastCommitTs),
              displayName(agent.agentId),
            ]);
            widths ??= columnWidths(['KEYS', 'LAST COMMITTS', 'AGENT'], rows);
            const lines = table(['KEYS', 'LAST COMMITTS', 'AGENT'], rows, widths);
            await out.lines(shown === 0 ? lines : lines.slice(1));
          }
          shown += page.length;
        }
        if (out.json) await out.write(`${opened ? '' : open}]}\n`);
        else if (shown === 0) {
          const under =
            options.prefix === undefined ? '' : ` starting with ${JSON.stringify(options.prefix)}`;
          out.note(`no agents${under} in namespace ${displayName(namespace)}`);
        }
      }),
    );
}

/** The agents' pages, at most `limit` agents in all. */
async function* agentPages(
  client: StatehouseClient,
  namespace: string,
  options: AgentsOptions,
): AsyncGenerator<AgentInfo[]> {
  let left = options.limit ?? Infinity;
  let cursor: string | null = null;
  do {
    const page = await client.listAgents({
      namespace,
      limit: Math.min(PAGE, left),
      cursor,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    });
    const agents = page.agents.slice(0, left);
    left -= agents.length;
    yield agents;
    cursor = page.cursor;
  } while (cursor !== null && left > 0);
}
