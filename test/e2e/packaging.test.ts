import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// @statehouse/client as a user installs it: from the packed tarballs of the contract and the
// client, into an empty project. It must bring no engine dependency (ioredis, bullmq, xstate).
const ROOT = join(__dirname, '..', '..');
const ENGINE_DEPENDENCIES = ['ioredis', 'bullmq', 'xstate'];

let dir: string;
let project: string;
let tarballs: Record<'contract' | 'client' | 'nestjs', string>;

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Every package directory under node_modules (nested ones too). */
function installed(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  return readdirSync(nodeModules).flatMap((name) => {
    if (name.startsWith('.')) return [];
    const path = join(nodeModules, name);
    if (name.startsWith('@')) return installed(path).map((inner) => `${name}/${inner}`);
    return [name, ...installed(join(path, 'node_modules'))];
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'statehouse-packaging-'));
  const tarball = (lib: string): string =>
    join(dir, npm(['pack', '--pack-destination', dir, '--silent'], join(ROOT, 'libs', lib)).trim());
  tarballs = {
    contract: tarball('contract'),
    client: tarball('client'),
    nestjs: tarball('nestjs'),
  };
  project = newProject('app');
  npm(['install', tarballs.contract, tarballs.client], project);
}, 180_000);

function newProject(name: string): string {
  const path = join(dir, name);
  execFileSync('mkdir', [path]);
  writeFileSync(join(path, 'package.json'), JSON.stringify({ name, private: true }));
  return path;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('installs @statehouse/client without ioredis, bullmq or xstate', () => {
  const packages = installed(join(project, 'node_modules'));
  expect(packages).toEqual(
    expect.arrayContaining(['@statehouse/client', '@statehouse/contract', '@grpc/grpc-js']),
  );
  expect(packages).not.toContain('@statehouse/core');
  for (const engine of ENGINE_DEPENDENCIES) expect(packages).not.toContain(engine);
});

it('loads the installed client, with the contract error classes and the proto', () => {
  const script = `
    const client = require('@statehouse/client');
    const contract = require('@statehouse/contract');
    const fs = require('node:fs');
    const path = require('node:path');
    console.log(JSON.stringify({
      client: typeof client.StatehouseClient.connect,
      sameClasses: client.TransactionConflictError === contract.TransactionConflictError,
      isTransactionError: new client.ValidationError('a', 'b') instanceof client.TransactionError,
      errors: Object.keys(client).filter((name) => name.endsWith('Error')).sort(),
      proto: fs.existsSync(path.join(contract.PROTO_DIR, contract.EXT_PROTO_FILE)),
    }));
  `;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({
    client: 'function',
    sameClasses: true,
    isTransactionError: true,
    errors: expect.arrayContaining([
      'CommitUnknownError',
      'StorageUnavailableError',
      'TransactionConflictError',
      'TransactionError',
      'ValidationError',
    ]),
    proto: true,
  });
});

it('installs @statehouse/nestjs with the network client alone, without ioredis, bullmq or xstate', () => {
  // The module's engine and network client are optional peers: an application that talks to a
  // server installs the client, and nothing of the engine comes with the module.
  const app = newProject('nest-app');
  npm(['install', tarballs.contract, tarballs.client, tarballs.nestjs], app);
  const packages = installed(join(app, 'node_modules'));
  expect(packages).toEqual(
    expect.arrayContaining(['@statehouse/nestjs', '@statehouse/client', '@nestjs/core']),
  );
  expect(packages).not.toContain('@statehouse/core');
  for (const engine of ENGINE_DEPENDENCIES) expect(packages).not.toContain(engine);
  const script = `
    const { StatehouseModule } = require('@statehouse/nestjs');
    console.log(JSON.stringify({ forRoot: typeof StatehouseModule.forRoot }));
  `;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: app, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ forRoot: 'function' });
}, 180_000);
