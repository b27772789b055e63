/** Fork pull requests get no secrets and a read-only token: validate offline and say so once. */
import path from "node:path";
import * as core from "@actions/core";
import { validateConfigFile } from "../../config/load-config.js";
import { type ActionRun, annotate } from "../action-run.js";
import { log } from "../log.js";

export async function forkPullRequest(r: ActionRun): Promise<void> {
  let invalid = false;
  for (const config of r.inputs.configs) {
    const result = await validateConfigFile(path.resolve(r.ctx.workspace, config));
    annotate(result.diagnostics.map((d) => ({ ...d, file: config })), r.ctx);
    if (!result.config) invalid = true;
  }
  log.notice(
    "This pull request comes from a fork, so GitHub gives its workflow no secrets and a read-only token: the plan against authentik and AWS cannot run and no plan comment is posted. " +
      "The configuration was validated offline" +
      (invalid ? " and has errors (see the annotations)." : " and is valid.") +
      " A maintainer can push the branch to this repository to get a reviewed plan before merging.",
    { title: "authentik-aws-gitops: plan skipped for a fork" },
  );
  core.setOutput("has-changes", "false");
  core.setOutput("summary", "plan skipped: pull request from a fork");
  if (invalid) log.fail("the configuration has errors (see the annotations)");
}
