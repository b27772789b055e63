import { formatDuration } from "../durations.js";
import { quoteName as q } from "../paths.js";
import { section, type RuleContext } from "./context.js";
import { checkDuration, LIMITS } from "./shared.js";

/** classic: the SAML SessionDuration must fit every role it is used with, or sign-in fails. Reads found.roleMaxSession. */
export function samlSessionDuration(ctx: RuleContext): void {
  const provider = section(section(ctx.data, "authentik"), "provider");
  const sessionSeconds = checkDuration(ctx, ["authentik", "provider", "sessionDuration"], provider.sessionDuration, LIMITS.samlSessionSeconds, "'authentik.provider.sessionDuration'");
  if (sessionSeconds === undefined || ctx.mode !== "classic-iam") return;
  for (const [role, max] of ctx.found.roleMaxSession) {
    if (sessionSeconds > max) {
      ctx.error(["authentik", "provider", "sessionDuration"], `the SAML session duration ${formatDuration(sessionSeconds)} is longer than role ${q(role)} allows (maxSessionDuration ${formatDuration(max)}); AWS would refuse the sign-in`);
    }
  }
}
