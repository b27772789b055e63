// Loads authentik's published OpenAPI description of one release (schema.yml
// inside the @goauthentik/api package pinned for that minor, see release.ts) and
// turns it into the operation index the emulator routes by (../openapi-index.ts).
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { buildOperationIndex, type OpenApiDocument, type OpenApiSpec } from "../openapi-index.js";
import { type Minor, schemaPath } from "./release.js";

const cached = new Map<Minor, OpenApiSpec>();

type Json = Record<string, any>;

/**
 * Where authentik's real answers contradict its own published schema, the
 * schema is corrected so the emulator can answer as authentik does (each one
 * read in the source; the tool must cope with the real answer, not the schema's).
 */
function patchSchema(doc: Json, minor: Minor): void {
  // SAMLMetadataSerializer declares download_url (required up to 2026.2), but
  // SAMLProviderViewSet.metadata builds its answer by hand: Response({"metadata": metadata})
  // or Response({"metadata": ""}) — never a download_url
  // (authentik/providers/saml/api/providers.py@version/2025.10.4, @version/2026.2.2).
  const metadata = doc.components?.schemas?.SAMLMetadata as Json | undefined;
  if (metadata && Array.isArray(metadata.required)) metadata.required = metadata.required.filter((f: string) => f !== "download_url");
  // ScheduleViewSet.send is documented as 204 but ends in `return Response({})`:
  // 200 with an empty JSON object (authentik/tasks/schedules/api.py@version/2025.10.4
  // and @2026.5.0-rc1).
  const send = doc.paths?.["/tasks/schedules/{id}/send/"]?.post as Json | undefined;
  if (send?.responses && !send.responses["200"]) {
    send.responses["200"] = { description: "what authentik really answers", content: { "application/json": { schema: { type: "object", additionalProperties: false } } } };
  }
  // Fields drf-spectacular published as non-nullable although the serializers
  // return null for them: Application.provider_obj (no provider), PolicyBinding's
  // policy_obj/group_obj/user_obj (the two it does not bind), Provider.authorization_flow
  // and invalidation_flow (null on backchannel providers such as SCIM, whose
  // Provider.authorization_flow FK is null=True; ProviderSerializer's
  // `allow_null: False` only constrains input). The 2026.5 schema marks the *_obj
  // fields nullable, the 2026.8 schema the flows; earlier schemas get the same here.
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Json>;
  const nullable = (component: string, field: string) => {
    const prop = schemas[component]?.properties?.[field] as Json | undefined;
    if (prop) prop.nullable = true;
  };
  // OAuthSource.pkce: up to 2026.2 OAuthSourceSerializer.validate copies the well-known
  // document's code_challenge_methods_supported into it as it is — "" when the document has
  // none (GitHub's has none), a list written as Python's str() otherwise — and the serializer
  // returns the stored text, outside PKCEMethodEnum (authentik/sources/oauth/api/source.py
  // @version/2025.10.4, @version/2026.2.2; 2026.5.0-rc1 picks S256, plain or none instead).
  if (minor === "2025.10" || minor === "2025.12" || minor === "2026.2") {
    const pkce = schemas.OAuthSource?.properties?.pkce as Json | undefined;
    if (pkce) schemas.OAuthSource!.properties.pkce = { type: "string", description: `${pkce.description ?? ""} (emulator: any stored text, see openapi.ts)` };
  }
  // Usernames in answers: PartialUser (a group's users_obj, a binding's user_obj), UserSelf and
  // the permission views publish the model field's UnicodeUsernameValidator as a pattern
  // (^[\w.@+-]+$), but UserSerializer declares username as a plain CharField (authentik/core/api/
  // users.py@version/2025.10.4 … @2026.5.0-rc1) and the OAuth2 token endpoint makes
  // `<provider>-<sub>` accounts with update_or_create (repo:OWNER/REPO:pull_request, ':' and
  // '/' included); authentik returns such usernames as they are.
  for (const component of ["PartialUser", "UserSelf", "UserAssignedObjectPermission", "ReviewerUser"]) {
    const username = schemas[component]?.properties?.username as Json | undefined;
    if (username) delete username.pattern;
  }
  nullable("Application", "provider_obj");
  for (const f of ["policy_obj", "group_obj", "user_obj"]) nullable("PolicyBinding", f);
  for (const f of ["authorization_flow", "invalidation_flow"]) nullable("Provider", f);
}

/** Parsing one 60k-line schema.yml takes ~2 s, so each release's is parsed once per process, when first used. */
export function loadSpec(minor: Minor = "2026.8"): OpenApiSpec {
  const hit = cached.get(minor);
  if (hit) return hit;
  const document = parseYaml(readFileSync(schemaPath(minor), "utf8"), { maxAliasCount: -1 }) as OpenApiDocument;
  patchSchema(document as unknown as Json, minor);
  const spec = buildOperationIndex(document);
  cached.set(minor, spec);
  return spec;
}
