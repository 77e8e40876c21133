import type { Command } from 'commander';
import { CliError } from '../cli.error';
import type { Runner } from '../runner';
import { integer } from './arguments';
import { lastEvents, printEvent } from './events';

interface ReplayOptions {
  readonly startTs?: number;
  readonly endTs?: number;
  readonly limit?: number;
}

export function registerReplay(program: Command, runner: Runner): void {
  program
    .command('replay')
    .description(
      "an agent's commits in commitTs order, each with that agent's operations (--json: NDJSON, one event per line)",
    )
    .argument('<AGENT>', 'the agentId')
    .option('--start-ts <T>', 'first commitTs to show (inclusive; default 1)', integer(0))
    .option(
      '--end-ts <T>',
      'last commitTs to show (inclusive; default: the last commit)',
      integer(0),
    )
    .option('--limit <N>', 'stop after N events', integer(1))
    .action(
      runner.action<[string], ReplayOptions>(async (context, agentId, options) => {
        if (
          options.startTs !== undefined &&
          options.endTs !== undefined &&
          options.startTs > options.endTs
        ) {
          throw CliError.usage(
            `--start-ts (${options.startTs}) is after --end-ts (${options.endTs}): nothing to replay`,
          );
        }
        const client = await context.connect();
        context.interruptible = true;
        let shown = 0;
        if (options.limit === 0) return;
        for await (const event of client.replay({
          agentId,
          signal: context.interrupt.signal,
          ...(options.startTs === undefined ? {} : { startTs: options.startTs }),
          ...(options.endTs === undefined ? {} : { endTs: options.endTs }),
        })) {
          await printEvent(event, context.out);
          if (++shown === options.limit) break; // ends the server's stream
        }
        if (shown === 0) context.out.note('no commits of this agent in that range');
      }),
    );
}

interface TailOptions {
  readonly lines: number;
  readonly follow?: boolean;
}

export function registerTail(program: Command, runner: Runner): void {
  program
    .command('tail')
    .description(
      "an agent's last N commits; with -f, then every new commit as it happens, until Ctrl-C (which exits 0)",
    )
    .argument('<AGENT>', 'the agentId')
    .option('-n, --lines <N>', 'how many of the last commits to show first', integer(0), 10)
    .option('-f, --follow', 'keep showing new commits as they are made')
    .action(
      runner.action<[string], TailOptions>(async (context, agentId, options) => {
        const client = await context.connect();
        context.interruptible = true;
        const { signal } = context.interrupt;
        // The history up to the namespace's last commit now, then (with -f) everything after it:
        // the follow starts right after that commitTs, so no commit is missed or shown twice.
        const last = await client.lastCommitTs();
        const history = await lastEvents(
          client.replay({ agentId, endTs: last, signal }),
          options.lines,
        );
        for (const event of history) await printEvent(event, context.out);
        if (!options.follow) return;
        for await (const event of client.replay({
          agentId,
          startTs: last + 1,
          follow: true,
          signal,
        })) {
          await printEvent(event, context.out);
        }
      }),
    );
}
