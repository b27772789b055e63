/**
 * The bundled local sandbox: moto_server standing in for AWS, the Identity Center shim
 * in front of it (supplying what moto lacks), and the authentik API emulator — each a
 * process of its own — seeded with what the two examples need.
 *
 *   npm run sandbox [-- --dir .sandbox] [--authentik-port N] [--aws-port N]
 *   node --import tsx scripts/sandbox.ts [--dir .sandbox] …    (one process; after `npm run build`)
 *
 * prints the environment to export (also written to DIR/env.sh) and the commands to run
 * in another terminal, and stays in the foreground until Ctrl-C — or SIGINT, SIGTERM or
 * SIGHUP sent to its process alone (`kill -INT <pid>`) — then stops everything it started
 * and exits. `npm run sandbox` passes SIGINT and SIGTERM sent to npm on: npm forwards them
 * to the shell it runs the script in, which would only wait for its child (so the script
 * ends in `exec tsx …`: the shell becomes tsx), and tsx relays them to this script. (`npx
 * tsx scripts/sandbox.ts` has that shell in between, without the exec: signal tsx's pid.)
 * `npm run demo` uses the same `startSandbox`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { createOrganization, provisionGroup, type OrgFixture } from "../test/support/identity-center.js";
import { authentikApi, copyExample, startAuthentikPeer, startAwsShimPeer, type AuthentikPeer, type AwsShimPeer } from "../test/support/peers.js";
import { startMoto, type MotoServer } from "../test/peers/moto.js";

// Same filter as bin/: the AWS SDK's notice about future Node versions is not about this run.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning instanceof Error ? warning.message : warning).startsWith("NodeVersionSupportWarning")) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

export const ROOT = path.join(import.meta.dirname, "..");
export const SANDBOX_TOKEN = "sandbox-token-not-a-secret";
/** The groups the examples map, created in authentik (and, for identity-center, in the Identity Store). */
export const SANDBOX_GROUPS = ["aws-admins", "engineers", "data-eng"];
export const EXAMPLES = ["classic-iam.yaml", "identity-center.yaml"];

/**
 * People, so that plans show who holds what: 2 admins, 40 engineers, 3 data engineers
 * and a child group of data-eng with 2 interns (a parent group's bindings reach them).
 */
async function seedPeople(api: ReturnType<typeof authentikApi>): Promise<void> {
  const groups = await api<{ results: { pk: string; name: string }[] }>("GET", "/core/groups/?page_size=100&include_users=false");
  const pk = (name: string) => groups.results.find((g) => g.name === name)!.pk;
  const interns = await api("POST", "/core/groups/", { name: "data-eng-interns", parents: [pk("data-eng")] });
  const people: [string, string][] = [
    ["alice", pk("aws-admins")],
    ["bob", pk("aws-admins")],
    ...Array.from({ length: 40 }, (_, i) => [`eng${String(i + 1).padStart(2, "0")}`, pk("engineers")] as [string, string]),
    ["ana", pk("data-eng")],
    ["ben", pk("data-eng")],
    ["chloe", pk("data-eng")],
    ["ivy", interns.pk],
    ["ian", interns.pk],
  ];
  for (const [username, group] of people) await api("POST", "/core/users/", { username, name: username, email: `${username}@example.com`, groups: [group] });
}

export interface Sandbox {
  moto: MotoServer;
  shim: AwsShimPeer;
  authentik: AuthentikPeer;
  org: OrgFixture;
  /** where the example copies (and env.sh) are */
  dir: string;
  /** the example files to run, by example name */
  configs: Record<string, string>;
  /** what to export for the CLI */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  dir: string;
  authentikPort?: number;
  awsPort?: number;
  /**
   * Groups to put into the Identity Store now, as SCIM would have; default: all of
   * SANDBOX_GROUPS (the demo provisions some itself when authentik's sync runs).
   */
  provisioned?: string[];
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const moto = await startMoto();
  const started: { stop(): Promise<void> }[] = [moto];
  try {
    const shim = await startAwsShimPeer(moto.endpoint, ["--port", String(options.awsPort ?? 0), "--async-ms", "200"]);
    started.push(shim);
    const authentik = await startAuthentikPeer(["--port", String(options.authentikPort ?? 0)], SANDBOX_TOKEN);
    started.push(authentik);

    const api = authentikApi(authentik.url, SANDBOX_TOKEN);
    for (const name of SANDBOX_GROUPS) await api("POST", "/core/groups/", { name });
    await seedPeople(api);
    // classic-iam: moto lets the tool assume any role in any account, so the accounts
    // the example names need nothing. identity-center: an organization with the OU the
    // example names (moto picks its own id, so the copy names moto's) and the groups.
    const org = await createOrganization(shim.url);
    for (const g of options.provisioned ?? SANDBOX_GROUPS) await provisionGroup(shim.url, org.identityStoreId, g);

    mkdirSync(options.dir, { recursive: true });
    copyExample("identity-center-sp-metadata.xml", options.dir);
    const configs: Record<string, string> = {};
    for (const example of EXAMPLES) {
      const file = path.join(options.dir, example);
      writeFileSync(file, readFileSync(path.join(ROOT, "examples", example), "utf8").replace(/ou-ab12-cd34ef56/g, org.sandboxesOu));
      configs[example] = file;
    }
    const env = {
      AWS_ENDPOINT_URL: shim.url,
      AWS_ACCESS_KEY_ID: "sandbox",
      AWS_SECRET_ACCESS_KEY: "sandbox-secret",
      AWS_REGION: "us-east-1",
      AUTHENTIK_URL: authentik.url,
      AUTHENTIK_TOKEN: SANDBOX_TOKEN,
      AWS_SCIM_TOKEN: "sandbox-scim-token",
    };
    writeFileSync(
      path.join(options.dir, "env.sh"),
      `# source me: points authentik-aws-gitops at the running sandbox\n${Object.entries(env).map(([k, v]) => `export ${k}=${v}`).join("\n")}\nunset AWS_PROFILE AWS_SESSION_TOKEN\n`,
    );
    let stopping: Promise<void> | undefined;
    return {
      moto,
      shim,
      authentik,
      org,
      dir: options.dir,
      configs,
      env,
      stop: () => (stopping ??= Promise.all(started.map((s) => s.stop())).then(() => undefined)),
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: "string", default: path.join(ROOT, ".sandbox") },
      "authentik-port": { type: "string", default: "0" },
      "aws-port": { type: "string", default: "0" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: npm run sandbox [-- --dir DIR] [--authentik-port N] [--aws-port N]");
    return;
  }
  const dir = path.resolve(values.dir);
  // Stop on SIGINT (Ctrl-C, or `kill -INT` of this process or of npm), SIGTERM and SIGHUP.
  let sandbox: Sandbox | undefined;
  let keepAlive: NodeJS.Timeout | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    if (!sandbox) {
      // Still starting: exiting kills what has started (peer-process.ts and moto.ts do on exit).
      console.error(`\n${signal}: stopping the sandbox while it starts …`);
      process.exit(1);
    }
    console.error(`\n${signal}: stopping the sandbox …`);
    void sandbox.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`could not stop every part of the sandbox: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => shutdown(signal));

  console.error("starting moto_server, the Identity Center shim and the authentik emulator …");
  sandbox = await startSandbox({ dir, authentikPort: Number(values["authentik-port"]), awsPort: Number(values["aws-port"]) });
  const rel = (f: string) => path.relative(process.cwd(), f) || f;
  const lines = [
    "",
    "Sandbox ready:",
    `  AWS (moto_server behind the Identity Center shim)  ${sandbox.env.AWS_ENDPOINT_URL}`,
    `  authentik API emulator                              ${sandbox.env.AUTHENTIK_URL}/api/v3/  groups ${SANDBOX_GROUPS.join(", ")}`,
    `  organization: OU "sandboxes" ${sandbox.org.sandboxesOu}, accounts ${sandbox.org.sandboxAccount} and (nested) ${sandbox.org.teamAccount}`,
    "",
    "In another terminal, from this directory:",
    "",
    ...Object.entries(sandbox.env).map(([k, v]) => `  export ${k}=${v}`),
    "  unset AWS_PROFILE AWS_SESSION_TOKEN",
    `  # (or: source ${rel(path.join(dir, "env.sh"))})`,
    "",
    ...EXAMPLES.flatMap((e) => [
      `  npx authentik-aws-gitops plan  -c ${rel(sandbox.configs[e]!)}`,
      `  npx authentik-aws-gitops apply -c ${rel(sandbox.configs[e]!)}`,
      `  npx authentik-aws-gitops plan  -c ${rel(sandbox.configs[e]!)} --detailed-exitcode`,
      "",
    ]),
    `Edit the copies in ${rel(dir)}/ and plan again. Ctrl-C (or \`kill ${process.pid}\`) stops the sandbox (its state is in memory and goes with it).`,
  ];
  console.log(lines.join("\n"));
  // Stay in the foreground until told to stop.
  keepAlive = setInterval(() => undefined, 1 << 30);
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) await main();
