import type { Command } from 'commander';
import type { StatehouseClient } from '@statehouse/client';
import type { Runner } from '../runner';

/** Keys fetched per call. */
const PAGE = 1000;

export function registerKeys(program: Command, runner: Runner): void {
  program
    .command('keys')
    .description("an agent's live keys (deleted ones excluded), in byte-wise order, one per line")
    .argument('<AGENT>', 'the agentId')
    .option('--prefix <P>', 'only keys starting with P')
    .action(
      runner.action<[string], { prefix?: string }>(async (context, agentId, options) => {
        const client = await context.connect();
        const { namespace } = context.connection;
        if (context.out.json) {
          const keys: string[] = [];
          for await (const key of liveKeys(client, agentId, options.prefix)) keys.push(key);
          await context.out.document({ namespace, agentId, prefix: options.prefix ?? null, keys });
          return;
        }
        let found = 0;
        for await (const key of liveKeys(client, agentId, options.prefix)) {
          found++;
          await context.out.write(`${key}\n`); // keys hold no control characters: one per line
        }
        if (found === 0) {
          const under =
            options.prefix === undefined ? '' : ` starting with ${JSON.stringify(options.prefix)}`;
          context.out.note(`no live keys${under} for agent ${JSON.stringify(agentId)}`);
        }
      }),
    );
}

/** The agent's live keys page by page (real keys: with a prefix, those the server finds under it). */
export async function* liveKeys(
  client: StatehouseClient,
  agentId: string,
  prefix?: string,
): AsyncGenerator<string> {
  let cursor: string | null = null;
  do {
    if (prefix === undefined) {
      const page = await client.listKeys({ agentId, limit: PAGE, cursor });
      yield* page.keys;
      cursor = page.cursor;
    } else {
      const page = await client.scanPrefix({ agentId, prefix, limit: PAGE, cursor });
      yield* page.entries.map((entry) => entry.key);
      cursor = page.cursor;
    }
  } while (cursor !== null);
}
