/** aws.iam.saml_provider: the IAM SAML identity provider in each account, holding the metadata authentik serves. */
import { CreateSAMLProviderCommand, DeleteSAMLProviderCommand, EntityAlreadyExistsException, UpdateSAMLProviderCommand } from "@aws-sdk/client-iam";
import type { Deferred, Props } from "../domain/plan-types.js";
import { ignoreMissing } from "../providers/aws/iam-writes.js";
import { missingIn, need, type ResourceKind } from "./kind.js";

export interface IamSamlProviderProps {
  name: string;
  /** What of authentik's metadata AWS trusts (entity id, sign-in URL, certificate), or known only after apply. */
  metadata: Props | Deferred;
}

export const iamSamlProvider: ResourceKind<IamSamlProviderProps> = {
  type: "aws.iam.saml_provider",
  system: "aws",
  order: 80,
  reader: "iam",
  identityProvider: true,
  missing: missingIn("aws"),
  async apply(change, ctx) {
    const { clients, metadataXml } = need(ctx.iam, "IAM")(change.account!);
    const name = (change.after ?? change.before)!.name;
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
  },
};
