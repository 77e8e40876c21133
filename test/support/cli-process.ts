// statehousectl as users run it: the built bin (apps/cli/bin/statehousectl.js, after
// `npm run build`) in a child process of its own.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export const CLI_BIN = join(__dirname, '..', '..', 'apps', 'cli', 'bin', 'statehousectl.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment of a CLI run: this process' without the variables statehousectl reads. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'STATEHOUSE_ADDR',
    'STATEHOUSE_TOKEN',
    'STATEHOUSE_NAMESPACE',
    'NO_COLOR',
    'FORCE_COLOR',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

/** Starts statehousectl with `args`; its output is collected as it comes. */
export function spawnCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = cliEnv(),
): ChildProcessWithoutNullStreams & {
  output: { stdout: string; stderr: string };
  exited: Promise<CliResult>;
} {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env });
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output.stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output.stderr += text));
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...output }));
  });
  return Object.assign(child, { output, exited });
}

/** Runs statehousectl to its end. */
export function runCli(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  const child = spawnCli(args, env);
  child.stdin.end();
  return child.exited;
}

/** Resolves once `predicate` holds for what the child printed so far (checked as output arrives). */
export function waitForOutput(
  child: ReturnType<typeof spawnCli>,
  predicate: (output: { stdout: string; stderr: string }) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!predicate(child.output)) return;
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      resolve();
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('close', () =>
      predicate(child.output)
        ? resolve()
        : reject(new Error(`statehousectl exited first: ${JSON.stringify(child.output)}`)),
    );
    check();
  });
}

/** The lines of NDJSON output, parsed. */
export function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
