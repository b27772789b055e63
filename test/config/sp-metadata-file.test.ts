import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigFile } from "../../src/config/load-config.js";
import { runCli } from "../support/run-cli.js";

/**
 * aws.identityCenter.spMetadata names a file, and validate and plan read it.
 * Only a regular file inside the configuration's repository (the git work tree
 * holding the config, else the config's own folder), of at most 1 MiB, is read:
 * not /etc/shadow, not /dev/urandom (15 s and 500 MB), not a FIFO that blocks
 * forever, not through `..` or a symlink out of the repository.
 */
const root = path.join(import.meta.dirname, "..", "..");
const exampleConfig = readFileSync(path.join(root, "examples", "identity-center.yaml"), "utf8");
const exampleXml = path.join(root, "examples", "identity-center-sp-metadata.xml");
const SP_LINE = 30;
const SP_COLUMN = 17;

const sandbox = mkdtempSync(path.join(tmpdir(), "aag-spm-"));
const repo = path.join(sandbox, "repo");
const configDir = path.join(repo, "config");
mkdirSync(path.join(repo, ".git"), { recursive: true });
mkdirSync(configDir, { recursive: true });
mkdirSync(path.join(repo, "shared"));
mkdirSync(path.join(configDir, "a-folder.xml"));
copyFileSync(exampleXml, path.join(configDir, "sp.xml"));
copyFileSync(exampleXml, path.join(repo, "shared", "sp.xml"));
copyFileSync(exampleXml, path.join(sandbox, "outside-sp.xml"));
symlinkSync(path.join(sandbox, "outside-sp.xml"), path.join(configDir, "link-out.xml"));
symlinkSync(path.join(repo, "shared", "sp.xml"), path.join(configDir, "link-in.xml"));
execFileSync("mkfifo", [path.join(configDir, "fifo.xml")]);
symlinkSync(path.join(configDir, "fifo.xml"), path.join(configDir, "link-fifo.xml"));
writeFileSync(path.join(configDir, "big.xml"), `<x>${"a".repeat(2 * 1024 * 1024)}</x>`);

function configNaming(dir: string, spMetadata: string): string {
  const file = path.join(dir, `ic-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, exampleConfig.replace("spMetadata: identity-center-sp-metadata.xml", `spMetadata: ${JSON.stringify(spMetadata)}`));
  return file;
}

async function spErrors(dir: string, spMetadata: string): Promise<string[]> {
  const file = configNaming(dir, spMetadata);
  const result = await validateConfigFile(file);
  return result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.line}:${d.column} ${d.message}`);
}

const at = `${SP_LINE}:${SP_COLUMN} `;
const TIMEOUT = { timeout: 5000 };

describe("the SP metadata file a config names", () => {
  it.each([
    ["/etc/passwd", "/etc/passwd"],
    ["/dev/urandom", "/dev/urandom"],
    ["../../outside-sp.xml", path.join(sandbox, "outside-sp.xml")],
    ["a symlink out of the repository", "link-out.xml"],
  ])("refuses %s: outside the repository", TIMEOUT, async (_what, spMetadata) => {
    const errors = await spErrors(configDir, spMetadata);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${at}the SP metadata file .* is outside the repository of the configuration \\(${repo.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\); it must be a file in that repository`));
  });

  it.each([
    ["a FIFO", "fifo.xml", "a FIFO"],
    ["a symlink to a FIFO", "link-fifo.xml", "a FIFO"],
    ["a folder", "a-folder.xml", "a folder"],
  ])("refuses %s without blocking: not a regular file", TIMEOUT, async (_what, spMetadata, kind) => {
    const errors = await spErrors(configDir, spMetadata);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${at}the SP metadata file .* is not a regular file \\(it is ${kind}\\)`));
  });

  it("refuses a file over 1 MiB", TIMEOUT, async () => {
    const errors = await spErrors(configDir, "big.xml");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${at}the SP metadata file .*big\\.xml is 2\\.0 MiB; SP metadata is a few KB, and files over 1 MiB are refused`));
  });

  it.each([
    ["next to the config", "sp.xml"],
    ["elsewhere in the repository, through ..", "../shared/sp.xml"],
    ["through a symlink that stays in the repository", "link-in.xml"],
  ])("reads one %s", TIMEOUT, async (_what, spMetadata) => {
    expect(await spErrors(configDir, spMetadata)).toEqual([]);
  });

  it("does not quote a file that is not XML (the parser's message holds its text)", TIMEOUT, async () => {
    writeFileSync(path.join(configDir, "token.xml"), "<<<ghp_h325YbVHZ8kkxlkeEohTueUy1L06DaqrOCX9\n");
    const errors = await spErrors(configDir, "token.xml");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/is not usable IAM Identity Center SAML metadata: not valid XML$/);
    expect(errors[0]).not.toContain("h325Yb");
  });

  it("without a git work tree, the config's own folder is the limit", TIMEOUT, async () => {
    const alone = path.join(sandbox, "alone");
    mkdirSync(alone);
    copyFileSync(exampleXml, path.join(alone, "sp.xml"));
    expect(await spErrors(alone, "sp.xml")).toEqual([]);
    const errors = await spErrors(alone, "../outside-sp.xml");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`is outside the repository of the configuration (${alone})`);
  });

  it("a .git file (a worktree or submodule) marks the repository too", TIMEOUT, async () => {
    const worktree = path.join(sandbox, "worktree");
    mkdirSync(path.join(worktree, "deploy"), { recursive: true });
    writeFileSync(path.join(worktree, ".git"), "gitdir: /somewhere/else\n");
    copyFileSync(exampleXml, path.join(worktree, "sp.xml"));
    expect(await spErrors(path.join(worktree, "deploy"), "../sp.xml")).toEqual([]);
  });

  it.each(["validate", "plan"])("%s exits 1 with the error at the key's position, before any network call", { timeout: 20_000 }, async (command) => {
    for (const spMetadata of ["/etc/passwd", "fifo.xml", "/dev/urandom", "big.xml"]) {
      const file = configNaming(configDir, spMetadata);
      const r = await runCli([command, "-c", file], { AUTHENTIK_URL: "http://127.0.0.1:9", AUTHENTIK_TOKEN: "t", AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_SCIM_TOKEN: "s" }, root);
      expect(r.code, `${command} ${spMetadata}`).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${SP_LINE}:${SP_COLUMN}: error: the SP metadata file `));
      expect(r.stderr).not.toContain("cannot reach");
      expect(r.stderr).not.toContain("internal error");
    }
  });
});
