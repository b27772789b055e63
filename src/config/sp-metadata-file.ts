import { readFile } from "node:fs/promises";
import { parseSpMetadata, type SpMetadata } from "../desired/saml-metadata.js";
import { UserError } from "../errors.js";

/**
 * Reads and parses the IAM Identity Center SP metadata a config names. The one
 * place that knows how that file goes wrong, for validation and for plan alike.
 */
export async function readSpMetadataFile(file: string): Promise<SpMetadata> {
  let xml: string;
  try {
    xml = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === "ENOENT"
        ? `the SP metadata file ${file} does not exist; download it from the IAM Identity Center console (Settings → Identity source → Change → External identity provider)`
        : `the SP metadata file ${file} cannot be read: ${(error as Error).message}`,
    );
  }
  try {
    return parseSpMetadata(xml);
  } catch (error) {
    throw new UserError(`the SP metadata file ${file} is not usable IAM Identity Center SAML metadata: ${(error as Error).message}`);
  }
}
