import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** PEM files of the server's certificate (HTTP and gRPC), read and checked at start. */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** With a client CA, both listeners require a client certificate it signed (mutual TLS). */
  readonly clientCaFile?: string;
  readonly clientCa?: Buffer;
}

/** The TLS files, read and checked (PEM, the key matching the certificate); undefined without. */
export function readTls(
  certFile: string | undefined,
  keyFile: string | undefined,
  clientCaFile: string | undefined,
  problems: string[],
): TlsConfig | undefined {
  if (!certFile && !keyFile) {
    if (clientCaFile) {
      problems.push('--tls-client-ca needs --tls-cert and --tls-key (the server must serve TLS)');
    }
    return undefined;
  }
  if (!certFile || !keyFile) {
    problems.push(
      `${certFile ? '--tls-cert is set without --tls-key' : '--tls-key is set without --tls-cert'}: give both (STATEHOUSE_TLS_CERT, STATEHOUSE_TLS_KEY)`,
    );
    return undefined;
  }
  const read = (flag: string, file: string, check: (pem: Buffer) => void): Buffer | undefined => {
    let pem: Buffer;
    try {
      pem = readFileSync(file);
    } catch (error) {
      problems.push(
        `--${flag} ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
      return undefined;
    }
    try {
      check(pem);
    } catch (error) {
      problems.push(
        `--${flag} ${file} is not a PEM ${flag === 'tls-key' ? 'private key' : 'certificate'}: ${(error as Error).message}`,
      );
      return undefined;
    }
    return pem;
  };
  const cert = read('tls-cert', certFile, (pem) => new X509Certificate(pem));
  const key = read('tls-key', keyFile, (pem) => createPrivateKey(pem));
  const clientCa = clientCaFile
    ? read('tls-client-ca', clientCaFile, (pem) => new X509Certificate(pem))
    : undefined;
  if (!cert || !key || (clientCaFile && !clientCa)) return undefined;
  if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
    problems.push(`--tls-key ${keyFile} is not the private key of --tls-cert ${certFile}`);
    return undefined;
  }
  return {
    certFile,
    keyFile,
    cert,
    key,
    ...(clientCaFile && clientCa ? { clientCaFile, clientCa } : {}),
  };
}
