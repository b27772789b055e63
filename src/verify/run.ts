/**
 * verify's entry (CLI `verify`): the mode's reader, the mode's pure checks, the shared
 * report. Reads only; writes nothing anywhere.
 */
import type { ResolvedConfig } from "../config/model.js";
import { DEFAULT_CERTIFICATE_WARNING_DAYS } from "../config/review.js";
import type { VerifyReport } from "../domain/verify.js";
import { UserError } from "../errors.js";
import { authentikClient } from "../modes/shared.js";
import type { AuthentikAuth } from "../providers/authentik/auth.js";
import { readAuthentikRelease } from "../providers/authentik/read-state.js";
import { verifyClassicIam } from "./classic-iam.js";
import { runIdentityCenterVerify } from "./identity-center-run.js";
import { buildVerifyReport, selectPeople } from "./core.js";
import { readClassicVerifyAuthentik, readClassicVerifyIam } from "./read-classic-iam.js";

export { DEFAULT_CERTIFICATE_WARNING_DAYS };

export interface VerifyOptions {
  env?: NodeJS.ProcessEnv;
  /** Only these people (authentik usernames); default everyone with access. */
  people?: readonly string[];
  /** Warn this many days before authentik's signing certificate expires (--certificate-warning-days; default review.certificateWarningDays, else 30). */
  certificateWarningDays?: number;
  /** The time checked against (tests fix it). */
  now?: Date;
  concurrency?: number;
  /** A name in `people` authentik has no active user of: refused (--person, the default) or skipped (after an apply: someone deleted meanwhile). */
  unknownPeople?: "refuse" | "skip";
  /** How to sign in to authentik (default: from env, see authentikConnection). */
  authentikAuth?: AuthentikAuth;
  /**
   * identity-center: an apply just started authentik's SCIM sync, which writes the Identity
   * Store's users and memberships asynchronously — what it has not written yet is a warning
   * (run verify again), not a sign-in that does not work.
   */
  scimSyncPending?: boolean;
}

/** --person named someone authentik does not know: a usage error (exit 2), not a finding. */
export class UnknownPersonError extends UserError {
  override readonly name = "UnknownPersonError";
}

export async function createVerifyReport(config: ResolvedConfig, options: VerifyOptions = {}): Promise<VerifyReport> {
  const env = options.env ?? process.env;
  const now = options.now ?? new Date();
  if (config.mode === "identity-center") {
    const { client } = authentikClient(config, env, options.authentikAuth);
    await readAuthentikRelease(client); // an authentik too old for the tool stops here, as for plan
    const result = await runIdentityCenterVerify({
      config,
      authentik: client,
      env,
      now,
      ...(options.people ? { people: options.people } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.scimSyncPending ? { scimSyncPending: true } : {}),
    });
    const unknown = (options.people ?? []).filter((p) => !result.people.includes(p));
    if (unknown.length > 0 && options.unknownPeople !== "skip") {
      throw new UnknownPersonError(`--person ${unknown.map((n) => JSON.stringify(n)).join(", ")}: no active authentik user of that name holds access through this configuration`);
    }
    return buildVerifyReport({ config: config.file, mode: config.mode, checkedAt: now, people: result.people, grantsChecked: result.grantsChecked, findings: result.findings });
  }
  if (config.mode !== "classic-iam") throw new UserError(`verify does not check mode ${String(config.mode)}`);
  const live = await readClassicVerifyAuthentik(config, env, now, options.authentikAuth);
  const { people, unknown } = selectPeople([...live.sent.keys(), ...live.findings.map((f) => f.subject.name)], live.users, options.people);
  if (unknown.length > 0 && options.unknownPeople !== "skip") {
    throw new UnknownPersonError(`--person ${unknown.map((n) => JSON.stringify(n)).join(", ")}: authentik has no active user of that name`);
  }
  const chosen = new Set(people);
  const checked = people.map((username) => ({ username, roles: live.sent.get(username) ?? [] }));
  const iam = await readClassicVerifyIam(
    config,
    checked.flatMap((p) => p.roles),
    env,
    options.concurrency,
  );
  const result = verifyClassicIam({
    ...live.input,
    people: checked,
    iam,
    now,
    certificateWarningDays: options.certificateWarningDays ?? config.review?.certificateWarningDays ?? DEFAULT_CERTIFICATE_WARNING_DAYS,
  });
  return buildVerifyReport({
    config: config.file,
    mode: config.mode,
    checkedAt: now,
    people,
    grantsChecked: result.grantsChecked,
    findings: [...live.findings.filter((f) => chosen.has(f.subject.name)), ...result.findings],
    notes: [...live.notes, ...result.notes],
  });
}
