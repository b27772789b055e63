// The authentik emulator as a process of its own — for the sandbox, local demos and
// the end-to-end tests (which reach its controls over IPC, see ../peer-process.ts):
//   tsx test/peers/authentik/cli.ts --port 9000 --token TOKEN [--version 2026.8.3] [--collation ci|c]
//       [--metadata-without-application empty|404] [--host 127.0.0.1]
// --version picks the release played (its minor's schema.yml and behaviour, release.ts);
// --collation the database's text order (collation.ts); --metadata-without-application
// overrides the release's answer for the metadata of a provider without an application.
// Prints the base URL (the API is under /api/v3) and serves until Ctrl-C.
import { parseArgs } from "node:util";
import { servePeerControls } from "../peer-process.js";
import { isCollation } from "./collation.js";
import { authentikControls } from "./controls.js";
import { resolveRelease } from "./release.js";
import { DEFAULT_VERSION, startAuthentikEmulator } from "./server.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    token: { type: "string" },
    version: { type: "string", default: DEFAULT_VERSION },
    collation: { type: "string", default: "ci" },
    "metadata-without-application": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const usage =
  "usage: tsx test/peers/authentik/cli.ts --port PORT --token TOKEN [--host HOST] [--version VERSION] [--collation ci|c] [--metadata-without-application empty|404]";
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const token = values.token ?? process.env.AUTHENTIK_TOKEN;
const port = Number(values.port);
const metadataMode = values["metadata-without-application"];
let versionOk = true;
try {
  resolveRelease(values.version);
} catch {
  versionOk = false;
}
if (!token || !Number.isInteger(port) || port < 0 || !versionOk || !isCollation(values.collation) || (metadataMode !== undefined && metadataMode !== "empty" && metadataMode !== "404")) {
  console.error(usage);
  process.exit(2);
}

const emulator = await startAuthentikEmulator({
  port,
  host: values.host,
  token,
  version: values.version,
  collation: values.collation,
  metadataWithoutApplication: metadataMode as "empty" | "404" | undefined,
});
console.log(emulator.url);
console.error(`authentik ${emulator.release.version} emulator (schema ${emulator.release.minor}) listening on ${emulator.url}/api/v3/ (Ctrl-C to stop)`);

const shutdown = async () => {
  await emulator.stop();
  const invalid = emulator.invalidRequests().length;
  if (invalid > 0) console.error(`${invalid} request(s) did not match authentik's schema`);
  process.exit(emulator.emulatorErrors.length > 0 ? 1 : 0);
};
servePeerControls({ url: emulator.url, version: emulator.release.version }, authentikControls(emulator), () => emulator.stop());
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
