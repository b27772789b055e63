import { realpath } from "node:fs/promises";
import { parseSpMetadata, type SpMetadata } from "../domain/saml-metadata.js";
import { UserError } from "../errors.js";
import { escapeOneLine } from "../util/safe-text.js";
import { FileRefused, FileTooLarge, isInside, readRegularFile } from "./read-file.js";

/** SP metadata is a few KB; anything near this is not SP metadata. */
export const SP_METADATA_MAX_BYTES = 1024 * 1024;

/**
 * Reads and parses the IAM Identity Center SP metadata a config names. The one
 * place that knows how that file goes wrong, for validation and for plan alike.
 *
 * With `root` (the configuration's repository, see configRoot), the file must
 * resolve — `..` and symbolic links followed — to a path inside it: a config
 * from a pull request must not make the run read /etc/shadow. In every case
 * only a regular file of at most 1 MiB is read, never a FIFO or a device.
 */
export async function readSpMetadataFile(file: string, root?: string): Promise<SpMetadata> {
  const shown = escapeOneLine(file);
  const notFound = () =>
    new UserError(
      `the SP metadata file ${shown} does not exist; download it from the IAM Identity Center console (Settings → Identity source → Change → External identity provider)`,
    );
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw notFound();
    throw new UserError(`the SP metadata file ${shown} cannot be read: ${(error as Error).message}`);
  }
  if (root !== undefined && !isInside(root, real)) {
    throw new UserError(`the SP metadata file ${shown} is outside the repository of the configuration (${escapeOneLine(root)}); it must be a file in that repository`);
  }
  let xml: string;
  try {
    xml = (await readRegularFile(real, SP_METADATA_MAX_BYTES, { noFollow: true })).toString("utf8");
  } catch (error) {
    if (error instanceof FileTooLarge) throw new UserError(`the SP metadata file ${shown} ${error.message}; SP metadata is a few KB, and files over 1 MiB are refused`);
    if (error instanceof FileRefused) throw new UserError(`the SP metadata file ${shown} ${error.message}`);
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw notFound();
    throw new UserError(`the SP metadata file ${shown} cannot be read: ${(error as Error).message}`);
  }
  try {
    return parseSpMetadata(xml);
  } catch (error) {
    // The XML parser's own words may quote the file (a tag name, text): only that it is not XML is said.
    const reason = (error as Error).message.replace(/^not valid XML \(.*\)$/s, "not valid XML");
    throw new UserError(`the SP metadata file ${shown} is not usable IAM Identity Center SAML metadata: ${reason}`);
  }
}
