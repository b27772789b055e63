import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "../support/run-cli.js";
import { startAuthentikEmulator, type AuthentikEmulator } from "../peers/authentik/server.js";
import { awsClientConfig, startMoto, type MotoServer } from "../peers/moto.js";

export const TOKEN = "integration-test-token-0123456789";

export interface Peers {
  moto: MotoServer;
  authentik: AuthentikEmulator;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** authentik API as a test client (not the tool's code). */
  ak<T = any>(method: string, apiPath: string, body?: unknown): Promise<T>;
  /** AWS SDK client config for one account of moto. */
  aws(accountId: string): ReturnType<typeof awsClientConfig>;
  cli(argv: string[], extraEnv?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }>;
  writeConfig(name: string, text: string): string;
  stop(): Promise<void>;
}

/**
 * Starts the two peers the tool talks to — moto_server for AWS and the authentik
 * emulator — and points the environment at them the way a user would
 * (AWS_ENDPOINT_URL, AUTHENTIK_URL, AUTHENTIK_TOKEN).
 */
export async function startPeers(groups: string[]): Promise<Peers> {
  const [moto, authentik] = await Promise.all([startMoto(), startAuthentikEmulator({ token: TOKEN })]);
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "integration-secret-key",
    AWS_REGION: "us-east-1",
    AUTHENTIK_URL: authentik.url,
    AUTHENTIK_TOKEN: TOKEN,
  };
  // The AWS SDK reads these from the process environment itself.
  for (const [k, v] of Object.entries(env)) if (k.startsWith("AWS_")) process.env[k] = v;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;

  const ak = async <T = any>(method: string, apiPath: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${authentik.url}/api/v3${apiPath}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${apiPath}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
  for (const name of groups) await ak("POST", "/core/groups/", { name });

  const dir = mkdtempSync(path.join(tmpdir(), "aag-"));
  return {
    moto,
    authentik,
    dir,
    env,
    ak,
    aws: (accountId) => awsClientConfig(moto.endpoint, accountId),
    cli: (argv, extraEnv = {}) => runCli(argv, { ...env, ...extraEnv }, dir),
    writeConfig(name, text) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    async stop() {
      await Promise.all([moto.stop(), authentik.stop()]);
    },
  };
}

export function example(name: string): string {
  return readFileSync(path.join(import.meta.dirname, "..", "..", "examples", name), "utf8");
}
