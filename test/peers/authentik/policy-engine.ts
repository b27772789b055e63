// authentik's PolicyEngine (authentik/policies/engine.py) over the enabled bindings of a
// PolicyBindingModel (an application, a source), with expression policies evaluated by
// python3 (expression_runner.py do_policy) the way PolicyEvaluator does:
//
//   * bindings: enabled ones on the target, ordered by `order`;
//   * static bindings (a group or a user, no policy) are counted in one query
//     (compute_static_bindings): `passing` = bindings to the user or one of the user's
//     groups (all_groups(), ancestors included) not negated, plus negated ones to another
//     user or group. Mode "any": any passing → one passing result; mode "all": up to
//     2025.12.4 also any passing (every 2025.10.x), from 2025.12.5 / 2026.2 all of them
//     (#20523, #20524) — the same rule as Store.userPassesApplication;
//   * each policy binding runs its policy (PolicyProcess.execute): the result, inverted when
//     the binding is negated; an expression that raises gives the binding's failure_result
//     with the exception as message;
//   * the result: no results at all → empty_result (True; from 2026.5 the
//     AppAccessWithoutBindings flag, default on); else mode "all" → every result passes,
//     "any" → one does; the messages of every result.
// Not modelled: the per-binding timeout (a policy process that takes longer is not killed
// here beyond expression_runner's 15 s), the result cache (the token endpoint disables it
// anyway), policies other than expression policies (none can be made here).
import type { ExpressionEngine } from "./python.js";
import { userEvaluationData } from "./routes/propertymappings.js";
import * as S from "./serialize.js";
import type { BindingRec, Store, UserRec } from "./store.js";

/** The user a PolicyEngine checks: a user of the store, or guardian's AnonymousUser (the token endpoint's JWT flow). */
export type PolicySubject = { user: UserRec } | { anonymous: true };

export interface BindingResult {
  binding: string;
  policy: string | null;
  passing: boolean;
  messages: string[];
  /** the exception an expression raised (its binding's failure_result applied) */
  exception?: string;
}

export interface EngineResult {
  passing: boolean;
  messages: string[];
  results: BindingResult[];
}

export interface EngineRequest {
  store: Store;
  ser: S.SerializeContext;
  expressions: ExpressionEngine;
  /** the PolicyBindingModel: its pbm_uuid and policy_engine_mode */
  target: { pbm_uuid: string; policy_engine_mode: string };
  subject: PolicySubject;
  /** request.context (JSON values); `setKeys` are Python sets in it (oauth_scopes) */
  context?: Record<string, unknown>;
  setKeys?: string[];
  /** the HTTP request the policy sees (http_request, ak_client_ip) */
  http?: { method: string; path: string; clientIp: string; userAgent: string };
}

/** guardian's AnonymousUser as expressions see it: no groups, no attributes. */
const ANONYMOUS = { pk: 0, username: "AnonymousUser", name: "", email: "", is_active: true, attributes: {}, groups: [], all_groups: [], type: "internal", path: "users" };

function staticResult(store: Store, bindings: BindingRec[], subject: PolicySubject, mode: string): boolean | undefined {
  const statics = bindings.filter((b) => b.policy === null && (b.group !== null || b.user !== null));
  const user = "user" in subject ? subject.user : undefined;
  const groups = new Set(user ? store.userAllGroups(user).map((g) => g.pk) : []);
  const userPk = user?.pk ?? ANONYMOUS.pk;
  const passing = bindings.filter((b) => {
    if (b.policy !== null) return false;
    const matches = (b.user !== null && b.user === userPk) || (b.group !== null && groups.has(b.group));
    return b.negate ? !matches && (b.user !== null || b.group !== null) : matches;
  }).length;
  if (statics.length === 0 && passing === 0) return undefined;
  if (mode === "all" && store.release.atLeast("2025.12.5")) return passing === statics.length;
  return passing > 0;
}

/** Runs the policy engine for `subject` on `target`. */
export async function evaluatePolicyEngine(req: EngineRequest): Promise<EngineResult> {
  const { store } = req;
  const bindings = [...store.bindings.values()].filter((b) => b.target === req.target.pbm_uuid && b.enabled).sort((a, b) => a.order - b.order);
  const results: BindingResult[] = [];
  const userData = "user" in req.subject ? userEvaluationData(req.ser, store, req.subject.user) : { ...ANONYMOUS, groups_field: store.release.atLeast("2026.2") ? "groups" : "ak_groups" };
  const applications = Object.fromEntries([...store.applications.values()].map((a) => [a.pbm_uuid, { ...S.application(req.ser, a), pbm_uuid: a.pbm_uuid }]));
  const entitlements = "user" in req.subject ? Object.fromEntries([...store.applications.values()].map((a) => [a.pbm_uuid, store.userEntitlements((req.subject as { user: UserRec }).user, a.pbm_uuid).map(S.entitlement)])) : {};
  // GeoIP / ASN context processors (authentik/policies/types.py set_http_request): nothing for a loopback client.
  const context = { geoip: null, asn: null, ...(req.context ?? {}) };
  for (const b of bindings) {
    if (b.policy === null) continue;
    const policy = store.policies.get(b.policy);
    if (!policy) continue;
    const out = await req.expressions.evaluatePolicy({
      expression: policy.expression,
      filename: policy.name,
      user: userData,
      obj: store.applications.has(req.target.pbm_uuid) ? req.target.pbm_uuid : null,
      context,
      set_keys: req.setKeys ?? [],
      http_request: {
        method: req.http?.method ?? "GET",
        path: req.http?.path ?? "/",
        client_ip: req.http?.clientIp ?? "127.0.0.1",
        user_agent: req.http?.userAgent ?? "",
      },
      applications,
      entitlements,
    });
    if (out.exception !== undefined) {
      results.push({ binding: b.pk, policy: b.policy, passing: b.failure_result, messages: [out.exception], exception: out.exception });
      continue;
    }
    const passing = b.negate ? !out.passing : out.passing === true;
    results.push({ binding: b.pk, policy: b.policy, passing, messages: out.messages });
  }
  const all: Array<{ passing: boolean; messages: string[] }> = [...results];
  const statics = staticResult(store, bindings, req.subject, req.target.policy_engine_mode);
  if (statics !== undefined) all.push({ passing: statics, messages: [] });
  if (all.length === 0) return { passing: true, messages: [], results };
  const passing = req.target.policy_engine_mode === "all" ? all.every((r) => r.passing) : all.some((r) => r.passing);
  return { passing, messages: all.flatMap((r) => r.messages), results };
}
