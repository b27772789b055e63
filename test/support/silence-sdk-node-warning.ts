/**
 * Vitest setup file. The AWS SDK warns once per process under Node < 22 that
 * its releases after January 2027 will need Node 22 (NodeVersionSupportWarning):
 * about future SDK updates, not this run, and in the test run it is printed by
 * every worker that makes an AWS client. Filter that one warning, as
 * bin/authentik-aws-gitops.js does for the CLI; every other warning still prints.
 */
const installed = Symbol.for("authentik-aws-gitops.silence-sdk-node-warning");
const proc = process as NodeJS.Process & { [installed]?: true };

if (!proc[installed]) {
  proc[installed] = true;
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning instanceof Error ? warning.message : warning).startsWith("NodeVersionSupportWarning")) return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}
