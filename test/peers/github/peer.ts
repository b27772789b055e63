// Starts the GitHub emulator as a process of its own (./cli.ts) for end-to-end tests:
//   const gh = await startGitHubPeer({ ghs_default: { login: "github-actions[bot]" } });
//   await gh.control.addRepo({ owner: "acme", name: "aws-access" });
//   const event = await gh.control.pullRequestEvent({ repo, number: 7, action: "opened" });
//   … run the Action with GITHUB_API_URL = gh.url …
//   expect(await gh.control.emulatorErrors()).toEqual([]);
import path from "node:path";
import { PEERS_DIR, type PeerProcess, startPeerProcess } from "../peer-process.js";
import type { GitHubControls } from "./controls.js";
import type { TokenSpec } from "./server.js";

export const GITHUB_CLI = path.join(PEERS_DIR, "github", "cli.ts");

export type GitHubPeer = PeerProcess<GitHubControls>;

export function startGitHubPeer(tokens: Record<string, TokenSpec>, args: string[] = []): Promise<GitHubPeer> {
  return startPeerProcess<GitHubControls>(GITHUB_CLI, ["--tokens", JSON.stringify(tokens), ...args]);
}
