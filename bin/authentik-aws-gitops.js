#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli and is compiled to lib/ by `npm run build`
// (which `npm ci` runs through the `prepare` script).
import { main } from "../lib/src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
