import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// @statehouse/core and @statehouse/client are optional peer dependencies of @statehouse/nestjs.
// Each case runs the built package in a Node process where some of them are not installed: a
// preload (fixtures/not-installed.js) resolves them from a directory without node_modules, so
// Node's real resolver fails as it does for a package that is absent (nothing is mocked).
const ROOT = join(__dirname, '..', '..', '..');
const FIXTURES = join(__dirname, 'fixtures');

interface Outcome {
  readonly connected?: boolean;
  readonly coreLoaded?: boolean;
  readonly clientLoaded?: boolean;
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
}

function connectWithout(missing: string[], options: object): Outcome {
  const out = execFileSync(
    process.execPath,
    [
      '-r',
      join(FIXTURES, 'not-installed.js'),
      join(FIXTURES, 'connect.js'),
      JSON.stringify(options),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, STATEHOUSE_NOT_INSTALLED: missing.join(',') },
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Outcome;
}

const redis = (): object => ({
  redis: process.env.REDIS_URL!,
  namespace: 'optional-peers',
  timeoutWorker: false,
});

it('refuses the embedded engine without @statehouse/core, naming the package to install', () => {
  const outcome = connectWithout(['@statehouse/core'], redis());
  expect(outcome).toMatchObject({
    name: 'StatehousePackageMissingError',
    code: 'STATEHOUSE_PACKAGE_MISSING',
    message: expect.stringContaining('npm install @statehouse/core'),
  });
  expect(outcome.message).not.toContain('Neither');
});

it('refuses a server without @statehouse/client, naming the package to install', () => {
  const outcome = connectWithout(['@statehouse/client'], { server: { url: '127.0.0.1:1' } });
  expect(outcome).toMatchObject({
    name: 'StatehousePackageMissingError',
    message: expect.stringContaining('npm install @statehouse/client'),
  });
});

it('says that neither is installed when both are missing', () => {
  const outcome = connectWithout(['@statehouse/core', '@statehouse/client'], redis());
  expect(outcome.name).toBe('StatehousePackageMissingError');
  expect(outcome.message).toContain('npm install @statehouse/core');
  expect(outcome.message).toContain('Neither @statehouse/core nor @statehouse/client is installed');
});

it('runs the embedded engine with @statehouse/core alone', () => {
  expect(connectWithout(['@statehouse/client'], redis())).toEqual({
    connected: true,
    coreLoaded: true,
    clientLoaded: false,
  });
});

it('creates the network client with @statehouse/client alone, without loading the engine', () => {
  // The address answers nothing: connect() may succeed (gRPC connects lazily) or fail to reach it;
  // either way it is the client that ran, and the engine was never loaded.
  const outcome = connectWithout(['@statehouse/core'], {
    server: { url: '127.0.0.1:1', callTimeoutMs: 200 },
  });
  if (outcome.connected) expect(outcome).toMatchObject({ coreLoaded: false, clientLoaded: true });
  else expect(outcome.name).not.toBe('StatehousePackageMissingError');
});
