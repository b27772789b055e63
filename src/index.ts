/**
 * The public API of the `authentik-aws-gitops` package: what
 * `import … from "authentik-aws-gitops"` gives. The CLI and the GitHub Action
 * are built on these same functions.
 *
 * Stability: the names exported here are the package's interface; while the
 * version is 0.x they change only in a new minor version (from 1.0, a major one).
 * Everything else under `lib/` is internal — the package's `exports` does not
 * expose it — and may change in any release.
 *
 * A typical use, offline up to `createPlan`:
 *
 * ```ts
 * import { loadConfigFile, createPlan, renderPlanText, styler } from "authentik-aws-gitops";
 * const { config } = await loadConfigFile("aws-access.yaml");   // throws ConfigError
 * const session = await createPlan(config);                     // reads authentik and AWS
 * console.log(renderPlanText(session.plan, styler(false)));
 * // await session.apply();                                     // writes; throws ApplyError, NotConvergedError
 * ```
 *
 * Credentials come from the environment as for the CLI: `AUTHENTIK_TOKEN`, or a JWT
 * (`AUTHENTIK_CLIENT_ID` with `AUTHENTIK_JWT` or `AUTHENTIK_JWT_FILE`), and `AUTHENTIK_URL`;
 * the SCIM token from the variable `scim.tokenEnv` names, and the AWS SDK's standard chain.
 * `EngineOptions.authentikAuth` signs in another way (below). See docs/ in the repository
 * for what each part does.
 */

// ── The engine ────────────────────────────────────────────────────────────

/**
 * Reads live authentik and AWS for a loaded configuration and returns the plan and a
 * way to apply it (`session.apply()`), which checks with a fresh read that the result
 * converged. Stable: its signature and the session's `plan`, `apply` and `config`.
 */
export { createPlan } from "./engine.js";
/**
 * `EngineOptions`: overrides for one run (pruning, the delete-all guard, concurrency,
 * SCIM waits, the clock, the environment). `PlanSession`: what `createPlan` returns.
 * Stable; new optional fields may be added.
 */
export type { EngineOptions, PlanSession } from "./engine.js";
/**
 * `PlanError`: no plan can be made (a missing group, a name another configuration
 * owns, the delete-all guard); `problems` lists each. `NotConvergedError`: applied, but
 * a fresh read still differs; `remaining` lists the addresses. Stable: the classes and
 * those fields; messages are for people and may change.
 */
export { PlanError, NotConvergedError, type PlanProblem } from "./engine.js";
/**
 * What `session.apply()` reports (`ApplyResult`), the progress events it sends to
 * `onProgress` (`ProgressEvent`), and the error it throws when changes fail
 * (`ApplyError`, with the `result`). Stable.
 */
export { ApplyError, type ApplyResult, type ProgressEvent } from "./apply/executor.js";

// ── Signing in to authentik ───────────────────────────────────────────────

/**
 * How `createPlan` signs in to authentik (`EngineOptions.authentikAuth`); by default
 * `authFromEnv`. `FederatedTokenAuth` exchanges a JWT (any `JwtSource`: a CI system's
 * identity token) at authentik's OAuth2 provider for access tokens, renewed before they
 * expire; `StaticTokenAuth` sends an API token. `AuthentikSignInError`: signing in failed,
 * with what to fix. Stable.
 */
export {
  authFromEnv,
  AuthentikSignInError,
  FederatedTokenAuth,
  StaticTokenAuth,
  type AuthentikAuth,
  type FederatedTokenOptions,
  type JwtSource,
} from "./providers/authentik/auth.js";

// ── Configuration ─────────────────────────────────────────────────────────

/**
 * `loadConfigFile(file)`: reads and validates a configuration and resolves it for
 * `createPlan`; throws `ConfigError` listing every error. `validateConfigFile` and
 * `validateConfigText` return the diagnostics (errors and warnings, sorted by position)
 * instead, with the resolved configuration only when there is no error. All three run
 * offline. Stable: signatures and results; the wording of messages may change.
 */
export { loadConfigFile, validateConfigFile, validateConfigText, type ValidationOptions, type ValidationResult } from "./config/load-config.js";
/**
 * A problem in a configuration file at a 1-based line and column; `formatDiagnostic`
 * renders it as `FILE:LINE:COL: error: MESSAGE`. `ConfigError` carries every
 * diagnostic of a file that does not validate. Stable.
 */
export { ConfigError, formatDiagnostic, type Diagnostic, type Severity as DiagnosticSeverity } from "./config/diagnostics.js";
/**
 * The validated configuration with defaults filled in, as `createPlan` takes it.
 * Read it, do not build it by hand: its fields may grow with the schema.
 */
export type { ResolvedConfig, Mode } from "./config/model.js";

// ── The plan ──────────────────────────────────────────────────────────────

/**
 * The plan: the same data as `plan --format json` (shape version 2, documented in
 * docs/reviewing-plans.md). Stable within a shape version: fields are only added,
 * as optional ones, until the version changes.
 */
export type {
  Plan,
  PlanSummary,
  Change,
  FieldChange,
  Action as ChangeAction,
  ResourceType,
  System,
  AccessRow,
  People,
  PermissionRow,
  PermissionStatement,
  Risk,
  Severity as RiskSeverity,
  Expiry,
  ExpiringRow,
  Ref,
  Lookup,
  Deferred,
} from "./domain/plan-types.js";

// ── Rendering ─────────────────────────────────────────────────────────────

/**
 * A plan as the terminal shows it; `styler(true)` colours it, `styler(false)` gives
 * plain text. Stable: the functions; the text is for people and may change.
 */
export { renderPlanText } from "./render/text.js";
export { styler, type Styler } from "./render/terminal-style.js";
/**
 * A plan as the pull-request comment (GitHub-flavoured markdown); every name is
 * escaped, and `maxLength` cuts it to fit. Stable: the function and its options; the
 * markdown may change.
 */
export { renderPlanMarkdown, type MarkdownOptions } from "./render/markdown.js";
/**
 * `renderPlanJson`: the plan as JSON (shape version 2), what `plan --out` saves.
 * `parsePlanJson`: reads one back, checking its shape; throws `UserError` on anything
 * else. Stable.
 */
export { renderPlanJson, parsePlanJson } from "./render/json.js";

// ── Errors and version ────────────────────────────────────────────────────

/**
 * An error a user can act on (bad input, a missing variable, a peer that refused): its
 * message is meant to be shown as is, without a stack trace (`ApplyError`,
 * `NotConvergedError` and `parsePlanJson`'s errors are ones). Stable.
 */
export { UserError } from "./errors.js";
/** This package's version, e.g. "0.1.0". Stable. */
export { VERSION } from "./version.js";
