// Loads GitHub's published REST description (`generated/api.github.com.json`
// from the pinned npm package @octokit/openapi, OpenAPI 3.0.3, ~13 MB) once per
// process and turns it into the same operation index the authentik emulator
// routes by (../openapi-index.ts), so its router (`matchRoute`) and ajv
// validator can be reused.
//
// Differences from authentik's loader:
//   * JSON, not YAML; every operation carries `externalDocs.url`, which GitHub
//     puts into error bodies as `documentation_url`;
//   * path parameters marked `x-multi-segment` (commit_sha, ref, path…) may
//     contain "/", so they match `(.+)`;
//   * routing order: fewer parameters first (a literal segment wins, as on
//     GitHub: /issues/comments before /issues/{issue_number}), then fewer
//     multi-segment parameters, then more literal text — so
//     /commits/{commit_sha}/pulls wins over the multi-segment /commits/{ref}.
//   * header parameters are left out, and every operation counts as reachable
//     anonymously (`anonymousAllowed`);
//   * the authentik validator falls back to components `GenericError` (and
//     `ValidationError` for 400) for statuses an operation does not declare
//     (GitHub's operations omit e.g. 400, 401 and most 403s); both are aliased
//     to GitHub's `basic-error` ({message, documentation_url, status}), the
//     shape of those answers ("Problems parsing JSON", "Bad credentials", …).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { buildOperationIndex, type OpenApiDocument, type OpenApiSpec, type OperationSpec } from "../openapi-index.js";

export interface GitHubOperation extends OperationSpec {
  /** externalDocs.url, e.g. https://docs.github.com/rest/issues/comments#create-an-issue-comment */
  docsUrl: string;
}

export type GitHubSpec = OpenApiSpec<GitHubOperation>;

const require = createRequire(import.meta.url);
export const DESCRIPTION_PATH = require.resolve("@octokit/openapi/generated/api.github.com.json");

let cached: GitHubSpec | undefined;

export function loadGitHubSpec(): GitHubSpec {
  if (cached) return cached;
  const document = JSON.parse(readFileSync(DESCRIPTION_PATH, "utf8")) as OpenApiDocument;
  const schemas = document.components.schemas;
  schemas.GenericError ??= { $ref: "#/components/schemas/basic-error" };
  schemas.ValidationError ??= { $ref: "#/components/schemas/basic-error" };
  cached = buildOperationIndex<GitHubOperation>(document, {
    multiSegment: true,
    dropHeaderParams: true,
    anonymousAllowed: () => true,
    extend: (operation, op) => ({
      ...operation,
      docsUrl: ((op.externalDocs as { url?: string } | undefined)?.url ?? "https://docs.github.com/rest").replace(/^http:/, "https:"),
    }),
  });
  return cached;
}
