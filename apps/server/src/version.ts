import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function gitSha(): string {
  if (process.env.STATEHOUSE_GIT_SHA) return process.env.STATEHOUSE_GIT_SHA;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: __dirname,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

/** The server's version (its package.json) and the git commit it was built from, read once. */
export const SERVER_VERSION: { readonly version: string; readonly gitSha: string } = {
  version: (
    JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
  ).version,
  gitSha: gitSha(),
};
