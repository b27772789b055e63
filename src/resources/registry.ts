/**
 * Every resource kind, in one exhaustive map: ordering, routing, lanes, access, grants
 * and identities all come from here, so a kind added to ResourceType without its file
 * (or a file without its place here) does not compile. See kind.ts for what a kind says.
 */
import type { Change, ResourceType } from "../domain/plan-types.js";
import { application, type ApplicationProps } from "./authentik-application.js";
import { entitlement, type EntitlementProps } from "./authentik-entitlement.js";
import { policyBinding, type PolicyBindingProps } from "./authentik-policy-binding.js";
import { propertyMapping, type PropertyMappingProps } from "./authentik-property-mapping.js";
import { samlProvider, type SamlProviderProps } from "./authentik-saml-provider.js";
import { scimMapping, type ScimMappingProps } from "./authentik-scim-mapping.js";
import { scimProvider, type ScimProviderProps } from "./authentik-scim-provider.js";
import { iamRole, type IamRoleProps } from "./aws-iam-role.js";
import { iamSamlProvider, type IamSamlProviderProps } from "./aws-iam-saml-provider.js";
import { sessionRevocation, type SessionRevocationProps } from "./aws-iam-session-revocation.js";
import { accountAssignment, type AccountAssignmentProps } from "./aws-sso-account-assignment.js";
import { permissionSet, type PermissionSetProps } from "./aws-sso-permission-set.js";
import { accessControlAttributes, type AccessControlAttributesProps } from "./aws-sso-access-control-attributes.js";
import type { AccessFacts, ApplyContext, KindChange, Lane, RefResolver, ResourceKind } from "./kind.js";

/** The props of each kind, by type name. */
export interface KindProps {
  "authentik.property_mapping": PropertyMappingProps;
  "authentik.saml_provider": SamlProviderProps;
  "authentik.application": ApplicationProps;
  "authentik.entitlement": EntitlementProps;
  "authentik.policy_binding": PolicyBindingProps;
  "authentik.scim_mapping": ScimMappingProps;
  "authentik.scim_provider": ScimProviderProps;
  "aws.iam.saml_provider": IamSamlProviderProps;
  "aws.iam.role": IamRoleProps;
  "aws.iam.session_revocation": SessionRevocationProps;
  "aws.sso.permission_set": PermissionSetProps;
  "aws.sso.account_assignment": AccountAssignmentProps;
  "aws.sso.access_control_attributes": AccessControlAttributesProps;
}

export type PropsOf<T extends ResourceType> = KindProps[T];

export const KINDS: { readonly [T in ResourceType]: ResourceKind<PropsOf<T>> } = {
  "authentik.property_mapping": propertyMapping,
  "authentik.saml_provider": samlProvider,
  "authentik.application": application,
  "authentik.entitlement": entitlement,
  "authentik.policy_binding": policyBinding,
  "authentik.scim_mapping": scimMapping,
  "authentik.scim_provider": scimProvider,
  "aws.iam.saml_provider": iamSamlProvider,
  "aws.iam.role": iamRole,
  "aws.iam.session_revocation": sessionRevocation,
  "aws.sso.permission_set": permissionSet,
  "aws.sso.account_assignment": accountAssignment,
  "aws.sso.access_control_attributes": accessControlAttributes,
};

/**
 * The registry entry of a type, seen through its props as the plan holds them. The
 * plan's JSON props are each kind's props (the desired builders and live readers make
 * them so); this is the one place that says so to the compiler.
 */
export function kindOf(type: ResourceType): ResourceKind<any> {
  return KINDS[type];
}

/** Applies one change through its kind. */
export function applyChange(change: Change, ctx: ApplyContext): Promise<void> {
  return kindOf(change.type).apply(change as KindChange<unknown>, ctx);
}

/** The lane a change runs in: its kind's own, else one per system. */
export function laneOf(change: Change, ctx: ApplyContext): Lane {
  return kindOf(change.type).lane?.(change as KindChange<unknown>, ctx) ?? { key: change.system, limit: ctx.concurrency };
}

/** A grant-carrying resource's row of the access diff, or undefined. */
export function accessOf(resource: { type: ResourceType; account?: string; props: unknown }, resolve: RefResolver): AccessFacts | undefined {
  return kindOf(resource.type).access?.(resource, resolve);
}

/** The unique name a resource holds in its system, if its system keeps one. */
export function identityOf(resource: { type: ResourceType; account?: string; props: unknown }): string | undefined {
  return kindOf(resource.type).identity?.(resource);
}

/** The ends of grants a resource records, if its kind records any. */
export function lifetimesOf(resource: { type: ResourceType; props: unknown }): ReturnType<NonNullable<ResourceKind<unknown>["lifetimes"]>> {
  return kindOf(resource.type).lifetimes?.(resource.props) ?? [];
}

/** Whether a resource only records (grants nothing, deleted once no longer desired whether pruning is on or not). */
export function isRecordOnly(resource: { type: ResourceType; props: unknown }): boolean {
  return kindOf(resource.type).recordOnly?.(resource.props) ?? false;
}
