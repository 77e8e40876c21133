// The Debian tools some tests use besides Redis: the Python wire-compatibility test (python3-grpcio,
// and protoc with its gRPC Python plugin to generate stubs from our .proto) and the tests that
// start the server with its embedded redis-server; docker-compose for test/docker/compose.test.ts
// (unless the docker CLI has the compose v2 plugin); promtool (Debian's prometheus) for the test
// that lints a real /metrics scrape; chromium for the web inspector's browser tests
// (test/e2e/inspector, driven by puppeteer-core).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { aptInstall } from './exec.mjs';

const TOOLS = [
  { pkg: 'redis-server', ok: () => existsSync('/usr/bin/redis-server') },
  { pkg: 'protobuf-compiler', ok: () => existsSync('/usr/bin/protoc') },
  { pkg: 'protobuf-compiler-grpc', ok: () => existsSync('/usr/bin/grpc_python_plugin') },
  {
    pkg: 'python3-grpcio',
    ok: () =>
      spawnSync('/usr/bin/python3', ['-c', 'import grpc, google.protobuf'], { stdio: 'ignore' })
        .status === 0,
  },
  { pkg: 'prometheus', ok: () => existsSync('/usr/bin/promtool') },
  { pkg: 'chromium', ok: () => existsSync('/usr/bin/chromium') },
  {
    pkg: 'docker-compose',
    ok: () =>
      existsSync('/usr/bin/docker-compose') ||
      spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0,
  },
];

/** Installs whichever of them is missing (apt-get, as root); throws saying what to install otherwise. */
export function ensureTestTools() {
  const missing = TOOLS.filter((tool) => !tool.ok()).map((tool) => tool.pkg);
  if (missing.length) aptInstall(missing, 'tools the tests need are missing');
}
