import {
  EntityAlreadyExistsException,
  GetRoleCommand,
  AttachRolePolicyCommand,
  CreateRoleCommand,
  CreateSAMLProviderCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteSAMLProviderCommand,
  DetachRolePolicyCommand,
  NoSuchEntityException,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  UpdateSAMLProviderCommand,
} from "@aws-sdk/client-iam";
import { deepEqual } from "../../domain/canonical.js";
import { policyJson } from "../../domain/policy-normalize.js";
import type { Change, Props } from "../../domain/plan-types.js";
import type { AccountClients } from "./clients.js";
import { CONFIG_TAG, MANAGED_BY_TAG } from "../../domain/plan-types.js";

type Policy = Record<string, unknown>;

/** Swallows "already gone" so a re-run after a failure part-way converges. */
async function ignoreMissing(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) throw error;
  }
}

function tagList(tags: Record<string, string>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export async function applySamlProviderChange(clients: AccountClients, change: Change, metadataXml: () => Promise<string>): Promise<void> {
  const name = (change.after ?? change.before)!.name as string;
  if (change.action === "delete") {
    await ignoreMissing(clients.iam.send(new DeleteSAMLProviderCommand({ SAMLProviderArn: change.liveId! })));
    return;
  }
  const document = await metadataXml();
  if (change.action === "create") {
    try {
      await clients.iam.send(new CreateSAMLProviderCommand({ Name: name, SAMLMetadataDocument: document }));
    } catch (error) {
      // The SDK resent a create whose answer was lost: the provider is there; make sure
      // it holds this metadata. (One made by someone else between plan and apply gets it
      // too — the plan named the provider as created, and its metadata is authentik's.)
      if (!(error instanceof EntityAlreadyExistsException)) throw error;
      await clients.iam.send(new UpdateSAMLProviderCommand({ SAMLProviderArn: `arn:aws:iam::${clients.account.id}:saml-provider/${name}`, SAMLMetadataDocument: document }));
    }
  } else {
    await clients.iam.send(new UpdateSAMLProviderCommand({ SAMLProviderArn: change.liveId!, SAMLMetadataDocument: document }));
  }
}

/**
 * CreateRole, where "already exists" is success when the role is exactly the one this
 * create made: the SDK resends a create whose answer was lost. Anything else with the
 * name is someone else's, and the error stands.
 */
async function createRoleOnce(iam: AccountClients["iam"], after: Props, create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!(error instanceof EntityAlreadyExistsException)) throw error;
    const role = (await iam.send(new GetRoleCommand({ RoleName: after.name as string }))).Role;
    const tags = Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key, t.Value]));
    const wanted = after.tags as Record<string, string>;
    if (role?.Path !== after.path || tags[MANAGED_BY_TAG] !== wanted[MANAGED_BY_TAG] || tags[CONFIG_TAG] !== wanted[CONFIG_TAG]) throw error;
  }
}

export async function applyRoleChange(clients: AccountClients, change: Change): Promise<void> {
  const { iam } = clients;
  if (change.action === "delete") {
    const before = change.before!;
    const RoleName = before.name as string;
    // IAM refuses to delete a role that still has policies.
    for (const arn of before.managed_policies as string[]) await ignoreMissing(iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: arn })));
    for (const name of Object.keys(before.inline_policies as Props)) await ignoreMissing(iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: name })));
    await ignoreMissing(iam.send(new DeleteRoleCommand({ RoleName })));
    return;
  }
  const after = change.after!;
  const RoleName = after.name as string;
  const before: Props =
    change.action === "create"
      ? { managed_policies: [], inline_policies: {}, tags: {}, permissions_boundary: null }
      : change.before!;

  if (change.action === "create") {
    await createRoleOnce(iam, after, () =>
      iam.send(
        new CreateRoleCommand({
          RoleName,
          Path: after.path as string,
          AssumeRolePolicyDocument: policyJson(after.trust_policy as Policy),
          Description: after.description as string,
          MaxSessionDuration: after.max_session_duration as number,
          ...(after.permissions_boundary ? { PermissionsBoundary: after.permissions_boundary as string } : {}),
          Tags: tagList(after.tags as Record<string, string>),
        }),
      ),
    );
  } else {
    if (!deepEqual(before.trust_policy, after.trust_policy)) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: policyJson(after.trust_policy as Policy) }));
    }
    if (before.description !== after.description || before.max_session_duration !== after.max_session_duration) {
      // UpdateRole resets whatever it is not given (MaxSessionDuration to 3600): send both.
      await iam.send(
        new UpdateRoleCommand({ RoleName, Description: after.description as string, MaxSessionDuration: after.max_session_duration as number }),
      );
    }
    if (before.permissions_boundary !== after.permissions_boundary) {
      if (after.permissions_boundary) {
        await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName, PermissionsBoundary: after.permissions_boundary as string }));
      } else {
        await ignoreMissing(iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName })));
      }
    }
    const beforeTags = before.tags as Record<string, string>;
    const afterTags = after.tags as Record<string, string>;
    const removedTags = Object.keys(beforeTags).filter((k) => !(k in afterTags));
    const changedTags = Object.fromEntries(Object.entries(afterTags).filter(([k, v]) => beforeTags[k] !== v));
    if (removedTags.length) await iam.send(new UntagRoleCommand({ RoleName, TagKeys: removedTags }));
    if (Object.keys(changedTags).length) await iam.send(new TagRoleCommand({ RoleName, Tags: tagList(changedTags) }));
  }

  const beforeManaged = new Set(before.managed_policies as string[]);
  const afterManaged = new Set(after.managed_policies as string[]);
  for (const arn of afterManaged) if (!beforeManaged.has(arn)) await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: arn }));
  for (const arn of beforeManaged) if (!afterManaged.has(arn)) await ignoreMissing(iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: arn })));

  const beforeInline = before.inline_policies as Record<string, Policy>;
  const afterInline = after.inline_policies as Record<string, Policy>;
  for (const [name, doc] of Object.entries(afterInline)) {
    if (!deepEqual(beforeInline[name], doc)) await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: name, PolicyDocument: policyJson(doc) }));
  }
  for (const name of Object.keys(beforeInline)) {
    if (!(name in afterInline)) await ignoreMissing(iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: name })));
  }
}
