import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { validateConfigFile } from "../config/load-config.js";
import { EXIT, UserError } from "../errors.js";
import { PlanError } from "../plan/compute-plan.js";
import { processIO, output, scrubbingIO, type CliIO, type Output } from "./io.js";
import { runAccess, type AccessFlags } from "./access.js";
import { runApply, runPlan, type ApplyFlags, type PlanFlags } from "./plan-apply.js";
import { runImport, type ImportFlags } from "./import.js";
import { runPermissions, type PermissionsFlags } from "./permissions.js";
import { runShow, type ShowFlags } from "./show.js";
import { runValidateJson } from "./validate-json.js";
import { runVerify, type VerifyFlags } from "./verify.js";
import { UnknownPersonError } from "../verify/run.js";
import { VERIFY_EXIT } from "../verify/core.js";
import { printDiagnostics, printErrorProblems } from "./report.js";
import { escapeUnsafe } from "../util/safe-text.js";

import { VERSION } from "../version.js";

export { VERSION };

async function runValidate(o: Output, files: string[]): Promise<number> {
  let failed = false;
  for (const file of files) {
    const result = await validateConfigFile(file);
    const shown = escapeUnsafe(file);
    printDiagnostics(o, result.diagnostics);
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    const warnings = result.diagnostics.length - errors;
    if (result.config) {
      const c = result.config;
      const grants = c.mode === "classic-iam" ? `${c.roles.length} role(s)` : `${c.permissionSets.length} permission set(s)`;
      o.print(
        `${o.out.green("✓")} ${shown} is valid: mode ${c.mode}, ${c.aws.accounts.length} account(s), ${grants}, ${c.mappings.length} mapping(s)` +
          (warnings ? `, ${warnings} warning(s)` : ""),
      );
    } else {
      failed = true;
      o.error(`${o.err.red("✗")} ${shown}: ${errors} error(s)${warnings ? `, ${warnings} warning(s)` : ""}`);
    }
  }
  return failed ? EXIT.error : EXIT.ok;
}

const DEFAULT_CONFIG = "aws-access.yaml";

/** validate checks any number of files. */
const configFilesOption = () =>
  new Option("-c, --config <file...>", "configuration files to check").default([DEFAULT_CONFIG], DEFAULT_CONFIG);

/** plan and apply work on exactly one file: a second -c is an error, not silently the one used. */
const configFileOption = (command: string) => {
  let given = false;
  return new Option("-c, --config <file>", "the configuration file").default(DEFAULT_CONFIG, DEFAULT_CONFIG).argParser((file) => {
    if (given) throw new InvalidArgumentError(`${command} takes one configuration file; to check several, use validate -c FILE...`);
    given = true;
    return file;
  });
};

export function buildProgram(o: Output, setExit: (code: number) => void): Command {
  const program = new Command("authentik-aws-gitops")
    .description("Plan and apply the authentik ⇄ AWS federation declared in a YAML file.")
    .version(VERSION, "-V, --version", "print the version")
    .option("--no-color", "no colours in output (NO_COLOR is respected too)")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      // commander repeats what was typed ("unknown option '…'"): shown with control characters escaped.
      writeOut: (s) => void o.io.stdout.write(escapeUnsafe(s)),
      writeErr: (s) => void o.io.stderr.write(escapeUnsafe(s)),
    })
    .exitOverride();

  program
    .command("validate")
    .description("check configuration files against the schema and the semantic rules, offline; exits 1 if any has an error")
    .addOption(configFilesOption())
    .addOption(
      new Option("--format <format>", 'output format: text (FILE:LINE:COL: messages on stderr) or json (one document on stdout: {"version":1,"files":[{"file","valid","diagnostics"}]})')
        .choices(["text", "json"])
        .default("text"),
    )
    .action(async (opts: { config: string[]; format: "text" | "json" }) =>
      setExit(await (opts.format === "json" ? runValidateJson(o, opts.config) : runValidate(o, opts.config))),
    );

  program
    .command("plan")
    .description("compare the configuration with live authentik and AWS and show what apply would change")
    .addOption(configFileOption("plan"))
    .addOption(new Option("--format <format>", "output format").choices(["text", "markdown", "json"]).default("text"))
    .option("--out <file>", "also save the plan as JSON, for `apply --plan` and `show`")
    .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are, 1 on error")
    .option("--prune", "delete managed objects that are no longer declared (overrides options.prune)")
    .option("--no-prune", "never delete (overrides options.prune)")
    .option("--allow-delete-all", "allow a plan that removes every access the tool grants")
    .option("--rotate-scim-token", "identity-center: write the SCIM token from the environment to authentik again")
    .action(async (opts: PlanFlags) => setExit(await runPlan(o, opts)));

  program
    .command("apply")
    .description("apply the changes a plan shows (asks for confirmation, unless --auto-approve or --plan FILE)")
    .addOption(configFileOption("apply"))
    .option("--plan <file>", "apply this saved plan, only if the live state still yields the same plan hash (without asking: it was the review)")
    .option("--auto-approve", "do not ask for confirmation (needed without a terminal, as in CI)")
    .option("--verify", "after applying, verify the sign-ins of the people the plan affected (as `verify` does) and exit 1 if one does not work — the default")
    .option("--no-verify", "do not verify the sign-ins after applying")
    .option("--only-expired", "apply only if every change removes access whose mappings[].expires has passed (as the Action's mode: expire); otherwise apply nothing and exit 1")
    .addOption(
      new Option("--scim-wait <seconds>", "identity-center: how long to wait for SCIM to provision a group before assigning it")
        .argParser((v) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number of seconds");
          return n;
        })
        .default(300),
    )
    .option("--prune", "delete managed objects that are no longer declared (overrides options.prune)")
    .option("--no-prune", "never delete (overrides options.prune)")
    .option("--allow-delete-all", "allow a plan that removes every access the tool grants")
    .option("--rotate-scim-token", "identity-center: write the SCIM token from the environment to authentik again")
    .action(async (opts: ApplyFlags) => setExit(await runApply(o, opts)));

  program
    .command("show")
    .description("render a plan saved by `plan --out` (as plan prints it), reading only the file: no configuration, authentik or AWS")
    .argument("<planfile>", "the saved plan (JSON written by plan --out)")
    .addOption(new Option("--format <format>", "output format").choices(["text", "markdown", "json"]).default("text"))
    .action(async (file: string, opts: ShowFlags) => setExit(await runShow(o, file, opts)));

  program
    .command("access")
    .description("the access report: every person × role or permission set × account from live state, the group it comes through, and whether the tool manages it")
    .addOption(configFileOption("access"))
    .addOption(new Option("--format <format>", "output format").choices(["markdown", "csv", "json"]).default("markdown"))
    .option("--out <file>", "also write the report to this file")
    .action(async (opts: AccessFlags) => setExit(await runAccess(o, opts)));

  program
    .command("verify")
    .description(
      "follow each person's sign-in from live authentik and AWS (the roles sent, the role, its trust, the SAML provider's certificate, the session duration) and report what breaks it; exits 1 on an error, 2 on a usage error",
    )
    .addOption(configFileOption("verify"))
    .addOption(new Option("--format <format>", "output format").choices(["text", "markdown", "json"]).default("text"))
    .option("--person <name>", "check only this person (authentik username); repeat for several", (name: string, previous: string[] = []) => [...previous, name])
    .addOption(
      new Option("--certificate-warning-days <days>", "warn this many days before authentik's signing certificate expires (default: review.certificateWarningDays of the configuration, else 30)").argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number of days");
        return n;
      }),
    )
    .action(async (opts: VerifyFlags) => setExit(await runVerify(o, opts)));

  program
    .command("permissions")
    .description("print the AWS IAM policies and the authentik role (permissions and a blueprint) that plan or apply of this configuration needs; reads only the file")
    .addOption(configFileOption("permissions"))
    .addOption(new Option("--for <phase>", "the phase: plan (read-only) or apply (reads and writes)").choices(["plan", "apply"]).makeOptionMandatory())
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("--prune", "the deletions pruning needs too (default: options.prune)")
    .option("--no-prune", "without the deletions pruning needs")
    .option("--authentik-oidc <owner/repo>", "also the authentik objects that let this repository's GitHub Actions sign in with their OIDC token instead of an API token (authentik-auth: github-oidc), as a blueprint; OWNER@OWNER_ID/REPO@REPO_ID for a repository whose tokens carry GitHub's immutable subject (created or renamed from 2026-07-15, or opted in)")
    .option("--authentik-oidc-audience <audience>", "with --authentik-oidc: the audience the Action requests the token for (default: the client id, as the Action's authentik-oidc-audience)")
    .option("--authentik-oidc-environment <name>", "with --authentik-oidc: the GitHub environment of the apply job", "aws-apply")
    .option("--authentik-oidc-branch <branch>", "with --authentik-oidc: the default branch, the only one apply runs from", "main")
    .option("--authentik-oidc-issuer <url>", "with --authentik-oidc: GitHub's OIDC issuer (GitHub Enterprise Server: https://HOST/_services/token)", "https://token.actions.githubusercontent.com")
    .option("--authentik-oidc-client-id <name>", "with --authentik-oidc: the OAuth2 provider's name and client id (default: authentik-aws-gitops-<application slug>)")
    .option("--authentik-oidc-workflow <file>", "with --authentik-oidc: the apply workflow's file in .github/workflows (e.g. aws-access.yml): only its jobs may sign in as the apply account")
    .action(async (opts: PermissionsFlags) => setExit(await runPermissions(o, opts)));

  program
    .command("import")
    .description("read a setup made by hand (authentik's AWS guide) from live authentik and AWS, and write a configuration that grants exactly today's access")
    .addOption(new Option("--mode <mode>", "which setup to read").choices(["classic-iam", "identity-center"]).makeOptionMandatory())
    .requiredOption("--application <slug>", "slug of the authentik application to take over")
    .option("--accounts <list>", "ALIAS=ACCOUNT_ID,… : names for the accounts (and accounts to read beyond those the setup names)")
    .option("--assume-role <name>", "classic-iam: role to assume in each account to read it (written as assumeRole)")
    .option("--region <region>", "identity-center: region of IAM Identity Center (default AWS_REGION)")
    .option("--sp-metadata <file>", "identity-center: IAM Identity Center's SP metadata file, relative to the output (default: written from the provider's values)")
    .option("--access-portal-url <url>", "identity-center: the AWS access portal URL, when the application's launch URL is not it")
    .option("--scim-token-env <name>", "identity-center with SCIM: the environment variable that will hold the SCIM token", "AWS_SCIM_TOKEN")
    .option("--url <url>", "authentik's public URL, written as authentik.url (default AUTHENTIK_URL)")
    .option("-o, --out <file>", "where to write the configuration", DEFAULT_CONFIG)
    .option("--force", "overwrite the output file if it exists")
    .action(async (opts: ImportFlags) => setExit(await runImport(o, opts)));

  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit, so it is testable). */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const colorFlag = argv.includes("--no-color") ? false : undefined;
  const o = output(scrubbingIO(io), colorFlag);
  let exitCode: number = EXIT.ok;
  const program = buildProgram(o, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    // verify keeps 1 for "access does not work": its usage errors exit 2.
    const verifying = argv.find((a) => !a.startsWith("-")) === "verify";
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : verifying ? VERIFY_EXIT.usage : EXIT.error;
    }
    if (error instanceof UserError) {
      printErrorProblems(o, error.problems());
      if (error instanceof UnknownPersonError) return VERIFY_EXIT.usage;
      if (error instanceof PlanError) o.error("No changes were made.");
      return EXIT.error;
    }
    const e = error as Error;
    o.error(`${o.err.red("internal error:")} ${escapeUnsafe(e?.message ?? String(error))}`);
    if (io.env.AUTHENTIK_AWS_GITOPS_DEBUG) o.error(escapeUnsafe(String(e?.stack ?? "")));
    else o.error("(this is a bug in authentik-aws-gitops; set AUTHENTIK_AWS_GITOPS_DEBUG=1 for the stack trace)");
    return EXIT.error;
  }
}
