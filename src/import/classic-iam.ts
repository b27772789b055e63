/**
 * `import --mode classic-iam`: a setup made by hand per authentik's AWS guide —
 * a SAML provider whose Role mapping sends role ARNs (static, a list, or a group
 * attribute), an IAM SAML identity provider and roles trusting it — read into a
 * configuration that grants exactly the access that exists today.
 */
import { REVOCATION_POLICY_NAME } from "../domain/session-revocation.js";
import { GetAccountAuthorizationDetailsCommand, GetSAMLProviderCommand, ListAccountAliasesCommand, ListRolesCommand, NoSuchEntityException, type Role, type RoleDetail } from "@aws-sdk/client-iam";
import { AWS_SIGNIN_SAML, samlProviderArn, signInEndpoints, signInRegionOf, trustPolicyAudiences } from "../domain/aws-iam.js";
import { SAML_ATTRIBUTE } from "../domain/expressions.js";
import { UserError } from "../errors.js";
import { byCodePoint, deepEqual } from "../domain/canonical.js";
import { normalizePolicy } from "../domain/policy-normalize.js";
import { CONFIG_TAG, MANAGED_BY_TAG } from "../domain/plan-types.js";
import type { AuthentikClient } from "../providers/authentik/client.js";
import { groupMembers } from "../domain/people.js";
import { expressionGrants, readRoleExpression, type ExpressionGrant } from "../domain/role-expression.js";
import { accountClients } from "../providers/aws/clients.js";
import { AwsRetryPolicy } from "../providers/aws/retry-policy.js";
import { awsFailure } from "../providers/aws/errors.js";
import { collectPages } from "../util/paging.js";
import { durationText, policyForYaml, readAuthentikSetup, sessionNameOf, sessionSecondsOf } from "./read-authentik.js";
import type { ImportedConfig, ImportOptions } from "./types.js";

interface LiveRole {
  accountAlias: string;
  name: string;
  path: string;
  description: string;
  maxSessionDuration: number;
  managedPolicies: string[];
  inlinePolicies: Record<string, Record<string, unknown>>;
  permissionsBoundary?: string;
  tags: Record<string, string>;
  trust: Record<string, unknown> | null;
  /** The sign-in endpoints its trust policy allows, when it is of the tool's shape. */
  audiences?: string[];
  accountId: string;
}

/** Does this trust policy let the SAML provider federate into the role? */
function trusts(trust: Record<string, unknown> | null, providerArn: string): boolean {
  const statements = (trust?.Statement ?? []) as { Effect?: string; Principal?: { Federated?: string | string[] } }[];
  return statements.some((s) => s.Effect === "Allow" && [s.Principal?.Federated ?? []].flat().includes(providerArn));
}

export async function importClassicIam(authentik: AuthentikClient, options: ImportOptions): Promise<ImportedConfig> {
  const notes: string[] = [];
  const setup = await readAuthentikSetup(authentik, options.application, { scim: false });
  const { application, provider } = setup;

  // --- the Role mapping: what it grants, by group ------------------------------------------
  const roleMappings = setup.providerMappings.filter((m) => m.samlName === SAML_ATTRIBUTE.role);
  if (roleMappings.length === 0) throw new UserError(`SAML provider '${provider.name}' has no property mapping for ${SAML_ATTRIBUTE.role}: nobody receives an AWS role through it, so there is no access to import`);
  const grants: ExpressionGrant[] = [];
  for (const m of roleMappings) {
    const parsed = readRoleExpression(m.expression);
    if (parsed.style === "entitlements") continue; // already the tool's: grants come from entitlements
    if (parsed.style === "unreadable") {
      throw new UserError(
        `cannot read the Role expression of SAML property mapping '${m.name}' (pk ${m.pk}, in authentik under Customization → Property Mappings), line ${parsed.line}: ${parsed.reason}. ` +
          `import reads the guide's three shapes only (a static "role_arn,provider_arn", a list of them, or user.group_attributes().get("ATTRIBUTE")) and never guesses. Its text:\n` +
          m.expression
            .split(/\r?\n/)
            .map((line, i) => `  ${String(i + 1).padStart(3)} | ${line}`)
            .join("\n"),
      );
    }
    const read = expressionGrants(parsed, setup.groups, setup.signIn);
    if (read.problems.length > 0 && parsed.style === "static") throw new UserError(`SAML property mapping '${m.name}': ${read.problems.join("; ")}`);
    notes.push(...read.problems.map((p) => `SAML property mapping '${m.name}': ${p} (not imported)`));
    if (parsed.style === "group-attribute" && setup.signIn !== "everyone") {
      // A group's attribute grants only those of its people who may sign in: a group none
      // of whose people can is not mapped (mapping it would bind it, and grant them).
      const members = groupMembers(setup.groups, setup.users);
      const mayUse = new Set(setup.signIn.flatMap((g) => members[g] ?? []));
      for (const g of read.grants) {
        const people = members[g.group] ?? [];
        const able = people.filter((p) => mayUse.has(p));
        if (people.length > 0 && able.length === 0) {
          notes.push(`group '${g.group}' has ${parsed.attribute}: ${g.pair.roleName}, but none of its people may sign in to application '${application.slug}' (it is not bound to it, and they are in no bound group): nobody holds that role through it today; not imported`);
          continue;
        }
        if (able.length < people.length) {
          notes.push(`group '${g.group}' (${parsed.attribute}: ${g.pair.roleName}) is not bound to application '${application.slug}': only ${able.length} of its ${people.length} people may sign in today (through other groups); the imported mapping binds it, so the others gain sign-in and the role — the plan lists them`);
        }
        grants.push(g);
      }
    } else {
      grants.push(...read.grants);
    }
    if (parsed.style === "group-attribute") {
      notes.push(...attributeConflicts(setup, parsed.attribute));
    }
  }
  if (setup.otherBindings.length > 0) {
    notes.push(
      `application '${application.slug}' also has bindings the configuration cannot express (${setup.otherBindings.join(", ")}); they stay in authentik, but the roles the hand-made Role mapping sends through them end with it (the tool grants roles to groups): the plan lists who loses what`,
    );
  }
  if (setup.signIn !== "everyone" && (application.policyEngineMode ?? "any") === "all" && setup.signIn.length > 1) {
    notes.push(`application '${application.slug}' uses policy engine mode "all" (a user must pass every binding); the tool sets "any" (a user of any mapped group may sign in)`);
  }

  const providerNames = [...new Set(grants.map((g) => g.pair.samlProviderName))];
  if (providerNames.length > 1) throw new UserError(`the Role mapping names several IAM SAML providers (${providerNames.join(", ")}); a configuration has one (aws.samlProvider)`);
  const samlProviderName = providerNames[0] ?? "authentik";
  const paths = [...new Set(grants.map((g) => g.pair.rolePath))];
  if (paths.length > 1) throw new UserError(`the Role mapping names roles under several IAM paths (${paths.join(", ")}); a configuration has one (aws.rolePath)`);
  const rolePath = paths[0] ?? "/";

  // --- accounts: the ones the grants name, and any given with --accounts ------------------
  const given = new Map(options.accounts.map((a) => [a.id, a.alias]));
  const ids = [...new Set([...grants.map((g) => g.pair.accountId), ...given.keys()])].sort();
  if (ids.length === 0) throw new UserError("the Role mapping grants no role to any group, and no --accounts were given: nothing to import");
  const accounts: { alias: string; id: string; assumeRoleArn?: string }[] = [];
  const liveRoles: LiveRole[] = [];
  const providerInAccount = new Map<string, boolean>();
  const policy = AwsRetryPolicy.fromEnv(options.env);
  for (const id of ids) {
    const assumeRoleArn = options.assumeRole ? `arn:aws:iam::${id}:role/${options.assumeRole}` : undefined;
    const provisional = { alias: given.get(id) ?? id, id, ...(assumeRoleArn ? { assumeRoleArn } : {}) };
    const clients = await accountClients(provisional, options.env, policy);
    const read = async <T>(what: string, f: () => Promise<T>) =>
      f().catch((error: unknown) => {
        throw awsFailure(error, `${what} in account ${id}`);
      });
    const alias =
      given.get(id) ??
      (await read("reading the account alias", () => clients.iam.send(new ListAccountAliasesCommand({}))).then((r) => r.AccountAliases?.[0]).catch(() => undefined)) ??
      `account-${id}`;
    accounts.push({ alias: safeAlias(alias, id), id, ...(assumeRoleArn ? { assumeRoleArn } : {}) });
    const providerArn = samlProviderArn(id, samlProviderName);
    providerInAccount.set(
      id,
      await clients.iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: providerArn })).then(
        () => true,
        (error: unknown) => {
          if (error instanceof NoSuchEntityException) return false;
          throw awsFailure(error, `reading the IAM SAML provider ${samlProviderName} in account ${id}`);
        },
      ),
    );
    const roles = await read("listing IAM roles", () =>
      collectPages<Role, string>("AWS ListRoles", async (Marker) => {
        const page = await clients.iam.send(new ListRolesCommand({ ...(Marker ? { Marker } : {}), MaxItems: 1000 }));
        return { items: page.Roles, next: page.IsTruncated ? page.Marker : undefined };
      }),
    );
    const details = await read("reading IAM role details", () =>
      collectPages<RoleDetail, string>("AWS GetAccountAuthorizationDetails", async (Marker) => {
        const page = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Role"], ...(Marker ? { Marker } : {}), MaxItems: 1000 }));
        return { items: page.RoleDetailList, next: page.IsTruncated ? page.Marker : undefined };
      }),
    );
    const detail = new Map(details.map((d) => [d.RoleName ?? "", d]));
    for (const r of roles) {
      const trust = r.AssumeRolePolicyDocument ? normalizePolicy(r.AssumeRolePolicyDocument) : null;
      if (!trusts(trust, providerArn)) continue;
      const d = detail.get(r.RoleName ?? "");
      const audiences = trustPolicyAudiences(trust, id, samlProviderName);
      const tags = Object.fromEntries((d?.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
      if (tags[CONFIG_TAG] !== undefined && tags[CONFIG_TAG] !== options.application) {
        notes.push(`IAM role ${r.Path}${r.RoleName} in account ${id} belongs to another configuration (tag ${CONFIG_TAG}=${tags[CONFIG_TAG]}): not imported`);
        continue;
      }
      liveRoles.push({
        accountAlias: safeAlias(alias, id),
        name: r.RoleName!,
        path: r.Path ?? "/",
        description: r.Description ?? "",
        maxSessionDuration: r.MaxSessionDuration ?? 3600,
        managedPolicies: (d?.AttachedManagedPolicies ?? []).map((p) => p.PolicyArn!).sort(),
        // The policy that ends sessions (options.revokeSessions) is the tool's own, not a declared one.
        inlinePolicies: Object.fromEntries((d?.RolePolicyList ?? []).filter((p) => p.PolicyName !== REVOCATION_POLICY_NAME).map((p) => [p.PolicyName!, normalizePolicy(p.PolicyDocument ?? "{}")] as const).sort(([a], [b]) => byCodePoint(a, b))),
        ...(d?.PermissionsBoundary?.PermissionsBoundaryArn ? { permissionsBoundary: d.PermissionsBoundary.PermissionsBoundaryArn } : {}),
        tags: Object.fromEntries(Object.entries(tags).filter(([k]) => k !== MANAGED_BY_TAG && k !== CONFIG_TAG && !k.startsWith("aws:")).sort(([a], [b]) => byCodePoint(a, b))),
        trust,
        accountId: id,
        ...(audiences ? { audiences } : {}),
      });
      if (!audiences) {
        notes.push(`IAM role ${r.Path}${r.RoleName} in account ${id}: its trust policy differs from the tool's (Federated ${providerArn}, sts:AssumeRoleWithSAML, SAML:aud a sign-in endpoint such as ${AWS_SIGNIN_SAML}); the plan shows the update`);
      }
    }
  }
  const aliasOf = new Map(accounts.map((a) => [a.id, a.alias]));

  // --- sign-in endpoints: where authentik posts (its ACS URL) first, then those every role allows --
  const signIn = importSignInRegions(provider.acsUrl, liveRoles.filter((r) => r.path === rolePath), notes);

  // --- roles: one declaration per name, in the accounts it exists in -----------------------
  const onPath = liveRoles.filter((r) => r.path === rolePath);
  for (const r of liveRoles.filter((x) => x.path !== rolePath)) notes.push(`IAM role ${r.path}${r.name} in ${r.accountAlias} trusts the SAML provider but is not under ${rolePath}, the path the Role mapping uses: not imported`);
  const roles: Record<string, Record<string, unknown>> = {};
  const roleAccounts = new Map<string, string[]>();
  for (const name of [...new Set(onPath.map((r) => r.name))].sort(byCodePoint)) {
    const copies = onPath.filter((r) => r.name === name);
    const first = copies[0]!;
    const spec = (r: LiveRole) => ({
      ...(r.description ? { description: r.description } : {}),
      managedPolicies: r.managedPolicies,
      ...(Object.keys(r.inlinePolicies).length ? { inlinePolicies: Object.fromEntries(Object.entries(r.inlinePolicies).map(([n, d]) => [n, policyForYaml(d)])) } : {}),
      ...(r.permissionsBoundary ? { permissionsBoundary: r.permissionsBoundary } : {}),
      ...(r.maxSessionDuration !== 3600 ? { maxSessionDuration: durationText(r.maxSessionDuration) } : {}),
      ...(Object.keys(r.tags).length ? { tags: r.tags } : {}),
    });
    for (const other of copies.slice(1)) {
      if (!deepEqual(spec(first), spec(other))) {
        throw new UserError(
          `IAM role ${rolePath}${name} differs between accounts ${first.accountAlias} and ${other.accountAlias} (description, policies, boundary, session duration or tags); a configuration declares one role per name for all its accounts: make them the same, or import the accounts separately (--accounts)`,
        );
      }
    }
    const inAccounts = copies.map((c) => c.accountAlias).sort(byCodePoint);
    roleAccounts.set(name, inAccounts);
    roles[name] = { accounts: inAccounts, ...spec(first) };
  }

  // --- mappings: group → roles, narrowed to accounts where not every account of the role ---
  const byGroup = new Map<string, Map<string, Set<string>>>();
  for (const g of grants) {
    const alias = aliasOf.get(g.pair.accountId)!;
    if (!roleAccounts.get(g.pair.roleName)?.includes(alias)) {
      notes.push(`group '${g.group}' is sent role ${g.pair.roleArn}, which does not exist (or does not trust ${samlProviderName}) in account ${g.pair.accountId}: nobody can assume it today; not imported`);
      continue;
    }
    const perRole = byGroup.get(g.group) ?? new Map<string, Set<string>>();
    byGroup.set(g.group, perRole);
    perRole.set(g.pair.roleName, (perRole.get(g.pair.roleName) ?? new Set()).add(alias));
  }
  const mappings: Record<string, unknown>[] = [];
  for (const group of [...byGroup.keys()].sort(byCodePoint)) {
    const buckets = new Map<string, { roles: string[]; accounts?: string[] }>();
    for (const [role, set] of [...byGroup.get(group)!].sort(([a], [b]) => byCodePoint(a, b))) {
      const accountsOfGrant = [...set].sort(byCodePoint);
      const all = deepEqual(accountsOfGrant, roleAccounts.get(role));
      const key = all ? "*" : accountsOfGrant.join(",");
      const bucket = buckets.get(key) ?? { roles: [], ...(all ? {} : { accounts: accountsOfGrant }) };
      bucket.roles.push(role);
      buckets.set(key, bucket);
    }
    for (const b of buckets.values()) mappings.push({ group, roles: b.roles, ...(b.accounts ? { accounts: b.accounts } : {}) });
  }
  for (const id of ids) if (!providerInAccount.get(id)) notes.push(`account ${aliasOf.get(id)} (${id}) has no IAM SAML provider named ${samlProviderName}: the plan creates it`);

  // --- authentik ---------------------------------------------------------------------------
  const sessionMapping = setup.providerMappings.find((m) => m.samlName === SAML_ATTRIBUTE.roleSessionName);
  const sessionName = sessionNameOf(sessionMapping?.expression);
  if (sessionMapping && !sessionName) notes.push(`the RoleSessionName mapping '${sessionMapping.name}' is not "return user.email" or "return user.username": the tool's (email) replaces it`);
  const durationMapping = setup.providerMappings.find((m) => m.samlName === SAML_ATTRIBUTE.sessionDuration);
  const sessionSeconds = sessionSecondsOf(durationMapping?.expression);
  const handMade = setup.providerMappings.filter((m) => !m.managed && !m.name.startsWith(`aws-gitops ${options.application}: `));
  if (handMade.length > 0) {
    notes.push(
      `the provider's property mappings made by hand (${handMade.map((m) => `'${m.name}'`).join(", ")}) are replaced on it by the tool's own (entitlements carry the role ARNs); they stay in authentik, unused: delete them after the first apply`,
    );
  }
  const signingKeypair = setup.signingKeypair ?? "authentik Self-signed Certificate";
  if (!setup.signingKeypair) notes.push(`SAML provider '${provider.name}' signs with no keypair; AWS needs signed assertions: the tool signs with '${signingKeypair}'`);

  const publicUrl = options.authentikUrl.replace(/\/+$/, "");
  const defaultLaunch = `${publicUrl}/application/saml/${application.slug}/sso/binding/init/`;
  const launchUrl = application.metaLaunchUrl && application.metaLaunchUrl !== defaultLaunch ? application.metaLaunchUrl : undefined;

  const document = {
    version: 1,
    mode: "classic-iam",
    authentik: {
      url: publicUrl,
      application: {
        slug: application.slug,
        name: application.name,
        ...(application.group ? { group: application.group } : {}),
        ...(launchUrl ? { launchUrl } : {}),
        ...(application.openInNewTab ? { openInNewTab: true } : {}),
      },
      provider: {
        name: provider.name,
        authorizationFlow: setup.authorizationFlow,
        invalidationFlow: setup.invalidationFlow,
        signingKeypair,
        sessionName: sessionName ?? "email",
        ...(sessionSeconds ? { sessionDuration: durationText(sessionSeconds) } : {}),
      },
    },
    aws: {
      samlProvider: samlProviderName,
      rolePath,
      ...(signIn ? { signInRegions: signIn } : {}),
      accounts: Object.fromEntries(accounts.map((a) => [a.alias, { id: a.id, ...(a.assumeRoleArn ? { assumeRole: a.assumeRoleArn } : {}) }])),
    },
    roles,
    mappings,
    adopt: { application: true, roles: Object.keys(roles) },
  };
  return { document, notes };
}

/**
 * aws.signInRegions from what exists: the region authentik posts to (the provider's ACS
 * URL) first, then the others every imported role's trust policy allows. Undefined when
 * that is us-east-1's endpoint alone (the default), or when the ACS URL is no sign-in
 * endpoint (the tool's replaces it; said in a note).
 */
function importSignInRegions(acsUrl: string | undefined, roles: readonly LiveRole[], notes: string[]): string[] | undefined {
  const first = acsUrl === undefined ? undefined : signInRegionOf(acsUrl);
  if (first === undefined) {
    notes.push(`the SAML provider's ACS URL (${acsUrl ?? "none"}) is not an AWS sign-in endpoint (https://signin.aws.amazon.com/saml or https://<region>.signin.aws.amazon.com/saml): the tool sets ${AWS_SIGNIN_SAML}`);
    return undefined;
  }
  const allowedByAll = roles.every((r) => r.audiences)
    ? roles.reduce<Set<string> | undefined>((all, r) => {
        const mine = new Set(r.audiences!.map((a) => signInRegionOf(a)!));
        return all ? new Set([...all].filter((x) => mine.has(x))) : mine;
      }, undefined)
    : undefined;
  const rest = [...(allowedByAll ?? [])].filter((r) => r !== first).sort(byCodePoint);
  const regions = [first, ...rest];
  const wanted = signInEndpoints(regions);
  for (const r of roles) {
    if (!r.audiences) continue;
    if (!r.audiences.includes(wanted[0]!)) {
      notes.push(`IAM role ${r.path}${r.name} in account ${r.accountId} does not allow sign-ins posted to ${acsUrl} (where authentik posts them): nobody can sign in to it today; the imported signInRegions let them`);
    } else if (r.audiences.length !== wanted.length || !wanted.every((w) => r.audiences!.includes(w))) {
      notes.push(`IAM role ${r.path}${r.name} in account ${r.accountId} allows the sign-in endpoints ${r.audiences.join(", ")}; the imported aws.signInRegions allow ${wanted.join(", ")} in every role: the plan shows the update`);
    }
  }
  return regions.length === 1 && regions[0] === "us-east-1" ? undefined : regions;
}

/** A config alias from an account alias or name: letters, digits, . _ - (else the id). */
export function safeAlias(name: string, id: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^[^a-z0-9]+|-+$/g, "");
  return s || id;
}

/**
 * group_attributes() merges the user's groups in name order, later names winning:
 * a person in two groups that set the attribute differently gets one role today and
 * both once the groups are mappings. Said, never hidden.
 */
function attributeConflicts(setup: Awaited<ReturnType<typeof readAuthentikSetup>>, attribute: string): string[] {
  const members = groupMembers(setup.groups, setup.users);
  const valued = setup.groups.filter((g) => typeof g.attributes[attribute] === "string" && g.attributes[attribute] !== "");
  const out: string[] = [];
  const people = new Map<string, { group: string; value: string }[]>();
  for (const g of valued) for (const person of members[g.name] ?? []) people.set(person, [...(people.get(person) ?? []), { group: g.name, value: String(g.attributes[attribute]) }]);
  for (const [person, list] of [...people].sort(([a], [b]) => byCodePoint(a, b))) {
    const values = [...new Set(list.map((l) => l.value))];
    if (values.length > 1) {
      out.push(
        `${person} is in ${list.map((l) => `'${l.group}' (${attribute}: ${l.value})`).join(" and ")}: today authentik sends one role (the group whose name sorts last wins); the imported mappings grant ${values.join(" and ")}`,
      );
    }
  }
  for (const u of setup.users) {
    if (typeof u.attributes[attribute] === "string" && u.attributes[attribute] !== "") {
      out.push(`user ${u.username} has its own attribute ${attribute}: ${String(u.attributes[attribute])}, which overrides every group's; a configuration maps groups only: not imported`);
    }
  }
  return out;
}
