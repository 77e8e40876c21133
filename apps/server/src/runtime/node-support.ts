/**
 * Which Node.js versions we support, said honestly at start. Node.js 20 reached its end of life on
 * 30 April 2026: the server still runs on it and our CI runs on it (20.20.2), but it gets no
 * security fixes any more, and some of our dependencies already declare Node.js 22 (file-type 22,
 * pulled by @nestjs/common 12 for its file-upload validators, which Statehouse does not use).
 * Supported: the LTS lines 22 and 24 (and later even-numbered releases).
 */
export const SUPPORTED_NODE = 'Node.js 22 or 24 (LTS)';

/**
 * The lowest version that runs everything (`engines` of every package): testcontainers 11, which
 * @statehouse/testing uses, needs undici 7, which needs 20.18.1.
 */
export const MINIMUM_NODE = '20.18.1';

/** A warning for the log when `version` (default: this process' Node.js) is not supported; else null. */
export function nodeSupportWarning(version: string = process.versions.node): string | null {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  if (major >= 22 && major % 2 === 0) return null;
  if (major === 20 && (minor > 18 || (minor === 18 && patch >= 1))) {
    return (
      `Node.js ${version} reached its end of life in April 2026: the server runs on it, but it ` +
      `gets no security fixes; run ${SUPPORTED_NODE} in production`
    );
  }
  if (major > 22) {
    return `Node.js ${version} is not a long-term-support release: run ${SUPPORTED_NODE} in production`;
  }
  return (
    `Node.js ${version} is not supported (it needs ${MINIMUM_NODE} at least and may fail in ` +
    `unexpected ways): run ${SUPPORTED_NODE}`
  );
}
