/** An AWS account an Identity Center assignment targets. */
export interface TargetAccount {
  id: string;
  /** Alias from aws.accounts, else the account's name in Organizations, else its id. */
  label: string;
}
