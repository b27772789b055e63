/**
 * mode: report — the access report of each config: markdown into the job summary, the
 * chosen format into a file (report-file). Reads only: nothing is written to GitHub,
 * nothing is applied.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import * as core from "@actions/core";
import { code } from "../../render/markdown.js";
import { createAccessReport } from "../../report/access.js";
import { renderAccessMarkdown, renderAccessReport } from "../../report/render.js";
import { escapeUnsafe } from "../../util/safe-text.js";
import { type ActionRun, forEachConfig } from "../action-run.js";
import { log } from "../log.js";
import { fitBytes, shareOf, writeJobSummary } from "../summary.js";

export async function accessReports(r: ActionRun): Promise<void> {
  const files: string[] = [];
  const lines: string[] = [];
  const ext = { markdown: "md", csv: "csv", json: "json" }[r.inputs.reportFormat];
  const heading = (config: string) => `### authentik-aws-gitops access report: ${code(config)}`;
  await forEachConfig(
    r,
    async (config) => {
      const resolved = await r.loadConfig(config);
      const auth = r.authentikAuth();
      const report = await createAccessReport(resolved, { env: r.engineEnv(), ...(auth ? { authentikAuth: auth } : {}) });
      const dir = path.join(r.ctx.tempDir, "authentik-aws-gitops");
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${config.replace(/[^A-Za-z0-9._-]+/g, "_")}.access.${ext}`);
      await writeFile(file, renderAccessReport(report, r.inputs.reportFormat));
      files.push(file);
      r.summary.push(
        fitBytes(shareOf(r.inputs.configs.length), (maxLength) =>
          renderAccessMarkdown(report, { maxLength, title: heading(config), fullReportHint: "the full report is in the `report-file` output of the run" }),
        ),
      );
      const s = report.summary;
      lines.push(`${config}: ${s.people === null ? "" : `${s.people} people, `}${s.grants} grants (${s.unmanagedGrants} not managed), ${s.unlisted} that cannot be listed`);
    },
    { failedTitle: "Report failed.", heading, onFailure: async (config) => void lines.push(`${config}: failed`) },
  );
  core.setOutput("report-file", files.join("\n"));
  core.setOutput("summary", lines.map(escapeUnsafe).join("\n"));
  await writeJobSummary(r.summary, "the full reports are in the `report-file` output");
  const failures = r.outcomes.filter((o) => o.failed);
  if (failures.length) log.fail(failures.map((f) => `${f.config}: ${f.failed}`).join("\n"));
}
