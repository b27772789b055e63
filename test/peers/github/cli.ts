// The GitHub REST emulator as a process of its own — for the sandbox and the
// end-to-end tests (which reach its controls over IPC, see ../peer-process.ts and
// ./controls.ts):
//   tsx test/peers/github/cli.ts --port 9001 --tokens '{"ghs_x":{"login":"github-actions[bot]"}}'
//       [--tokens-file tokens.json] [--repo acme/aws-access]… [--host 127.0.0.1] [--server-url https://github.com]
// Tokens map a token to a TokenSpec (server.ts): `{"login": "alice"}` (personal),
// `{"login": "github-actions[bot]"}` (GITHUB_TOKEN), `{"app": {"slug": "my-app"}}`
// (a GitHub App installation token), `"readOnly": true` (a fork's token).
// Prints the API base URL (use it as GITHUB_API_URL) and serves until Ctrl-C.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { servePeerControls } from "../peer-process.js";
import { githubControls } from "./controls.js";
import { startGitHubEmulator, type TokenSpec } from "./server.js";

const usage =
  "usage: tsx test/peers/github/cli.ts [--port PORT] (--tokens JSON | --tokens-file FILE) [--repo OWNER/NAME]… [--host HOST] [--server-url URL]";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    tokens: { type: "string" },
    "tokens-file": { type: "string" },
    repo: { type: "string", multiple: true, default: [] },
    "server-url": { type: "string", default: "https://github.com" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const port = Number(values.port);
const tokensText = values.tokens ?? (values["tokens-file"] ? readFileSync(values["tokens-file"], "utf8") : undefined);
let tokens: Record<string, TokenSpec> | undefined;
try {
  tokens = tokensText === undefined ? undefined : (JSON.parse(tokensText) as Record<string, TokenSpec>);
} catch (err) {
  console.error(`--tokens is not JSON: ${(err as Error).message}`);
}
const repos = values.repo.map((r) => r.split("/"));
if (!tokens || typeof tokens !== "object" || !Number.isInteger(port) || port < 0 || repos.some((r) => r.length !== 2 || !r[0] || !r[1])) {
  console.error(usage);
  process.exit(2);
}

const emulator = await startGitHubEmulator({ port, host: values.host, tokens, serverUrl: values["server-url"] });
for (const [owner, name] of repos) emulator.store.addRepo({ owner: owner!, name: name!, ownerType: "Organization" });
console.log(emulator.url);
console.error(`GitHub emulator listening on ${emulator.url} (REST, and POST /graphql for viewer { login }; Ctrl-C to stop)`);

const shutdown = async () => {
  await emulator.stop();
  const invalid = emulator.invalidRequests().length;
  if (invalid > 0) console.error(`${invalid} request(s) did not match GitHub's description`);
  for (const e of emulator.emulatorErrors) console.error(e);
  process.exit(emulator.emulatorErrors.length > 0 ? 1 : 0);
};
servePeerControls({ url: emulator.url }, githubControls(emulator, values["server-url"]), () => emulator.stop());
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
