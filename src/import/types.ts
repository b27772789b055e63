/** What `import` is asked for and what it produces (before it is written as YAML). */
export interface ImportOptions {
  /** Slug of the authentik application to take over. */
  application: string;
  /** --accounts alias=id,…: names for accounts (and accounts to read beyond those the setup names). */
  accounts: { alias: string; id: string }[];
  /** classic-iam --assume-role NAME: the role assumed in each account to read it (written as aws.accounts.*.assumeRole). */
  assumeRole?: string;
  /** The public URL of authentik written as authentik.url. */
  authentikUrl: string;
  /** identity-center: region of IAM Identity Center. */
  region?: string;
  /** identity-center: the SP metadata file the configuration names, relative to the output file. */
  spMetadata?: string;
  /** identity-center: the access portal URL, when the application's launch URL is not it. */
  accessPortalUrl?: string;
  /** identity-center with SCIM: the environment variable that will hold the SCIM token. */
  scimTokenEnv: string;
  env: NodeJS.ProcessEnv;
}

export interface ImportedConfig {
  /** The configuration as plain data, in the order it is written. */
  document: Record<string, unknown>;
  /** What the configuration cannot say, or says differently from today: written as comments and printed. */
  notes: string[];
  /** Files to write next to the configuration (name relative to it → content), e.g. SP metadata. */
  files?: Record<string, string>;
}
