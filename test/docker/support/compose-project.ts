// docker/compose.yaml driven through the compose CLI the machine has: the `docker compose` v2
// plugin, else docker-compose 1.x (scripts/lib/test-tools.mjs installs Debian's for `npm test`).
// Each project gets its own name, host ports and an empty env file, so neither a developer's
// docker/.env nor another run's project can leak into it.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const COMPOSE_FILE = join(REPO_ROOT, 'docker', 'compose.yaml');

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell; never rejects (look at `code`). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        env: options.env ?? process.env,
        cwd: options.cwd ?? REPO_ROOT,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({
          code,
          stdout,
          stderr: error && code === -1 ? `${stderr}${error.message}` : stderr,
        });
      },
    );
  });
}

/** The compose CLI: ['docker', 'compose'] (v2) or ['docker-compose'] (v1). */
export function composeCli(): [string, ...string[]] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) {
    return ['docker', 'compose'];
  }
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) {
    return ['docker-compose'];
  }
  throw new Error(
    "Neither `docker compose` nor `docker-compose` is installed: `npm test` installs Debian's " +
      'docker-compose (as root); or run `apt-get install -y docker-compose`.',
  );
}

export class ComposeProject {
  private readonly cli = composeCli();
  private readonly envDir = mkdtempSync(join(tmpdir(), 'statehouse-compose-'));
  private readonly envFile = join(this.envDir, 'empty.env');

  /** `variables`: the compose file's settings (images, tokens, host ports). */
  constructor(
    readonly name: string,
    private readonly variables: Readonly<Record<string, string>>,
  ) {
    writeFileSync(this.envFile, '');
  }

  /** `compose <args>`; throws with the output when it fails. */
  async run(args: readonly string[], timeoutMs = 120_000): Promise<string> {
    const result = await this.tryRun(args, timeoutMs);
    if (result.code !== 0) {
      throw new Error(
        `${[...this.cli, ...args].join(' ')} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`,
      );
    }
    return result.stdout;
  }

  tryRun(args: readonly string[], timeoutMs = 120_000): Promise<CommandResult> {
    const [command, ...prefix] = this.cli;
    return runCommand(
      command,
      [
        ...prefix,
        '--project-name',
        this.name,
        '--file',
        COMPOSE_FILE,
        '--env-file',
        this.envFile,
        ...args,
      ],
      { env: { ...process.env, ...this.variables }, timeoutMs },
    );
  }

  /** The id of a service's container. */
  async containerId(service: string): Promise<string> {
    const id = (await this.run(['ps', '--all', '-q', service])).trim();
    if (!id) throw new Error(`no container for service ${service} in project ${this.name}`);
    return id;
  }

  /** `docker inspect` fields of a service's container, e.g. '{{.State.ExitCode}}'. */
  async inspect(service: string, format: string): Promise<string> {
    const result = await runCommand('docker', [
      'inspect',
      '--format',
      format,
      await this.containerId(service),
    ]);
    if (result.code !== 0) throw new Error(`docker inspect failed: ${result.stderr}`);
    return result.stdout.trim();
  }

  /** The last lines of every service's log, for a failure message. */
  async logs(tail = 40): Promise<string> {
    const result = await this.tryRun(['logs', '--no-color', '--tail', String(tail)], 30_000);
    return `${result.stdout}${result.stderr}`;
  }

  /** Removes the containers, the network and the Redis volume; safe to call more than once. */
  async down(): Promise<void> {
    try {
      await this.tryRun(['down', '--volumes', '--remove-orphans', '--timeout', '5'], 120_000);
    } finally {
      rmSync(this.envDir, { recursive: true, force: true });
    }
  }
}
