/**
 * A plan that cannot reach authentik and AWS: validate offline and say so once. A fork's
 * pull request gets no secrets and a read-only token (and no OIDC token, unless a private
 * repository sends fork pull requests write tokens); with authentik-auth: github-oidc, a
 * merge queue's run has a subject no account is named after.
 */
import path from "node:path";
import * as core from "@actions/core";
import { validateConfigFile } from "../../config/load-config.js";
import { type ActionRun, annotate } from "../action-run.js";
import { log } from "../log.js";

const WHY = {
  fork: {
    title: "authentik-aws-gitops: plan skipped for a fork",
    why: "This pull request comes from a fork, so GitHub gives its workflow no secrets and a read-only token: the plan against authentik and AWS cannot run and no plan comment is posted. ",
    next: " A maintainer can push the branch to this repository to get a reviewed plan before merging.",
    summary: "plan skipped: pull request from a fork",
  },
  "merge-queue": {
    title: "authentik-aws-gitops: plan skipped for the merge queue",
    why:
      "This is a merge queue's run, and with authentik-auth: github-oidc it cannot sign in to authentik: GitHub names it a subject of its own per queued merge (…:ref:refs/heads/gh-readonly-queue/…), which no authentik account is named after. The plan against authentik and AWS did not run. ",
    next: " The push to the default branch after the queue merges applies the plan reviewed in the pull request.",
    summary: "plan skipped: merge queue (authentik-auth: github-oidc)",
  },
} as const;

export async function offlineValidation(r: ActionRun, why: keyof typeof WHY): Promise<void> {
  const text = WHY[why];
  let invalid = false;
  for (const config of r.inputs.configs) {
    const result = await validateConfigFile(path.resolve(r.ctx.workspace, config));
    annotate(result.diagnostics.map((d) => ({ ...d, file: config })), r.ctx);
    if (!result.config) invalid = true;
  }
  log.notice(text.why + "The configuration was validated offline" + (invalid ? " and has errors (see the annotations)." : " and is valid.") + text.next, { title: text.title });
  core.setOutput("has-changes", "false");
  core.setOutput("summary", text.summary);
  if (invalid) log.fail("the configuration has errors (see the annotations)");
}
