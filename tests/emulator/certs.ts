// TLS material for the emulator. Every client under test (msal-node, the Graph client, the
// ARM pipeline, plain fetch) insists on https and verifies the certificate, and we refuse
// to switch verification off (NODE_TLS_REJECT_UNAUTHORIZED=0 would also hide real bugs).
// So each test run makes its own self-signed certificate with openssl and the node process
// that talks to the emulator trusts it through NODE_EXTRA_CA_CERTS — which node only reads
// at start-up: it must be in the environment of the process before it starts.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface EmulatorCerts {
  /** Folder holding both files (a fresh temp dir unless one was given). */
  dir: string;
  /** Self-signed certificate (it is its own CA): serve it, and trust it via NODE_EXTRA_CA_CERTS. */
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

/** Environment names under which the certificate is handed to child processes. */
export const CERT_ENV = "MDR_EMULATOR_TLS_CERT";
export const KEY_ENV = "MDR_EMULATOR_TLS_KEY";

/**
 * Makes a self-signed certificate valid for https://127.0.0.1 and https://localhost.
 * A P-256 key keeps generation fast (milliseconds, not the seconds RSA can take on 2 cores).
 */
export function makeCerts(dir?: string): EmulatorCerts {
  const target = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "mdr-emulator-tls-"));
  fs.mkdirSync(target, { recursive: true });
  const certPath = path.join(target, "emulator-cert.pem");
  const keyPath = path.join(target, "emulator-key.pem");
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-sha256",
        "-days",
        "7",
        "-subj",
        "/CN=MDR test emulator",
        "-keyout",
        keyPath,
        "-out",
        certPath,
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,digitalSignature,keyCertSign",
        "-addext",
        "extendedKeyUsage=serverAuth",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`could not create the emulator's TLS certificate with openssl (is it installed?): ${detail}`);
  }
  return loadCerts(certPath, keyPath);
}

export function loadCerts(certPath: string, keyPath: string): EmulatorCerts {
  return {
    dir: path.dirname(certPath),
    certPath,
    keyPath,
    certPem: fs.readFileSync(certPath, "utf8"),
    keyPem: fs.readFileSync(keyPath, "utf8"),
  };
}

/** The certificate a parent process made and passed down (see trustEnv), if any. */
export function certsFromEnv(env: NodeJS.ProcessEnv = process.env): EmulatorCerts | undefined {
  const certPath = env[CERT_ENV];
  const keyPath = env[KEY_ENV];
  if (!certPath || !keyPath || !fs.existsSync(certPath) || !fs.existsSync(keyPath)) return undefined;
  return loadCerts(certPath, keyPath);
}

/**
 * Environment for a child node process (the product server, a nested test run) so that it
 * trusts the emulator and can find the same certificate to serve. A NODE_EXTRA_CA_CERTS the
 * parent already has (a corporate CA, say) is kept: both go into one bundle file.
 */
export function trustEnv(certs: EmulatorCerts, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  let bundle = certs.certPath;
  const existing = env.NODE_EXTRA_CA_CERTS;
  if (existing && path.resolve(existing) !== path.resolve(certs.certPath) && fs.existsSync(existing)) {
    const current = fs.readFileSync(existing, "utf8");
    if (!current.includes(certs.certPem.trim())) {
      bundle = path.join(certs.dir, "ca-bundle.pem");
      fs.writeFileSync(bundle, `${current.trimEnd()}\n${certs.certPem}`);
    } else {
      bundle = existing;
    }
  }
  return { NODE_EXTRA_CA_CERTS: bundle, [CERT_ENV]: certs.certPath, [KEY_ENV]: certs.keyPath };
}

/**
 * Whether this process was started trusting `certs`: NODE_EXTRA_CA_CERTS names a file that
 * holds the certificate. It reads the environment, which is only meaningful because
 * NODE_EXTRA_CA_CERTS cannot take effect after start-up: code that sets it later makes this
 * answer wrong, so don't.
 */
export function processTrusts(certs: EmulatorCerts, env: NodeJS.ProcessEnv = process.env): boolean {
  const extra = env.NODE_EXTRA_CA_CERTS;
  if (!extra || !fs.existsSync(extra)) return false;
  return fs.readFileSync(extra, "utf8").includes(certs.certPem.trim());
}
