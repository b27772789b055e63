#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli and is compiled to lib/ by `npm run build`
// (which `npm ci` runs through the `prepare` script).

// The AWS SDK warns on every run under Node 20 that its releases after January
// 2027 will need Node 22. That is about future SDK updates, not this run, and
// it would bury the plan; every other warning still prints.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning instanceof Error ? warning.message : warning).startsWith("NodeVersionSupportWarning")) return;
  emitWarning(warning, ...rest);
};

const { main } = await import("../lib/src/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
