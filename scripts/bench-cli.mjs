// `npm run bench` runs the CLI through this wrapper instead of bin/: the same main()
// from lib/ (built by `npm run build`), plus, on exit, the process's own resource usage
// (CPU time in µs, peak RSS in KiB: process.resourceUsage()) written as JSON to the file
// named by AAG_BENCH_USAGE_FILE. AAG_BENCH_LIB may name a copy of lib/ (the benchmark
// snapshots it, so that a rebuild during a long run does not change what is measured).
// Nothing else differs from bin/authentik-aws-gitops.js.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const usageFile = process.env.AAG_BENCH_USAGE_FILE;
const lib = process.env.AAG_BENCH_LIB ?? path.join(import.meta.dirname, "..", "lib");
// the CLI sees the environment a user's run would
delete process.env.AAG_BENCH_USAGE_FILE;
delete process.env.AAG_BENCH_LIB;
process.on("exit", (code) => {
  if (usageFile) writeFileSync(usageFile, JSON.stringify({ ...process.resourceUsage(), exitCode: code }));
});

// As bin/: the AWS SDK's notice about future Node versions is not about this run.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning instanceof Error ? warning.message : warning).startsWith("NodeVersionSupportWarning")) return;
  emitWarning(warning, ...rest);
};

const { main } = await import(pathToFileURL(path.join(lib, "src", "cli", "main.js")).href);
process.exitCode = await main(process.argv.slice(2));
