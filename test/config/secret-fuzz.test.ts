import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { validateConfigText } from "../../src/config/load-config.js";
import { runCli } from "../support/run-cli.js";

/**
 * A secret pasted into a config must never come back in a message, however
 * the file around it is broken. yaml's own messages quote the source text
 * around a syntax error, so one stray `}` once printed a pasted token in full.
 *
 * Property: take valid configs holding secret-looking values (a string value,
 * a quoted value, a block scalar, a comment, a key, a flow mapping), apply
 * seeded, deterministic one-character mutations (insert, delete or replace one
 * of YAML's indicator characters, duplicate a line, cut the file), validate,
 * and check that no diagnostic — and nothing the CLI prints — holds the secret
 * or any 8-character piece of it.
 */

const root = path.join(import.meta.dirname, "..", "..");

/** mulberry32: small, seedable, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function token(random: () => number, length: number, alphabet = ALNUM): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

const tokens = (() => {
  const random = prng(20_000);
  return {
    // The shapes people paste: a GitHub token, an AWS secret key (base64 with / and +), an authentik token, a hex key.
    github: `ghp_${token(random, 36)}`,
    awsSecret: token(random, 40, `${ALNUM}/+`),
    authentik: token(random, 64),
    hex: token(random, 48, "0123456789abcdef"),
  };
})();

const classic = readFileSync(path.join(root, "examples", "classic-iam.yaml"), "utf8");
const identityCenter = readFileSync(path.join(root, "examples", "identity-center.yaml"), "utf8");

/** Valid configs, each with secrets in places where messages about a valid file never show them. */
const seeds: { name: string; text: string; secrets: string[] }[] = [
  {
    name: "classic: secret as the application name, in a comment and as a tag key",
    text: classic
      .replace("    name: AWS\n", `    name: ${tokens.github}\n`)
      .replace("  rolePath: /authentik/\n", `  rolePath: /authentik/\n  # pasted by mistake: ${tokens.awsSecret}\n`)
      .replace("    cost-center: platform\n", `    cost-center: platform\n    ${tokens.authentik}: x\n`),
    secrets: [tokens.github, tokens.awsSecret, tokens.authentik],
  },
  {
    name: "classic: secret in a double-quoted description, a single-quoted tag value and a block scalar",
    text: classic
      .replace("    description: Full administrator access\n", `    description: "Full access \\t ${tokens.awsSecret}"\n`)
      .replace("      team: data\n", `      team: '${tokens.hex}'\n`)
      .replace("    description: Read-only access to every account\n", `    description: |\n      Read-only access\n      ${tokens.github}\n`),
    secrets: [tokens.awsSecret, tokens.hex, tokens.github],
  },
  {
    name: "classic: a flow-style file with the secret in flow mappings and as a flow key",
    text: [
      "version: 1",
      "mode: classic-iam",
      `authentik: { url: "https://authentik.company", application: { slug: aws, name: ${tokens.authentik} }, provider: { name: aws } }`,
      `aws: { accounts: { prod: { id: "111111111111", name: "${tokens.hex}" } }, tags: { ${tokens.github}: v } }`,
      "roles: { admin: { accounts: '*', managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess] } }",
      "mappings: [ { group: admins, roles: [admin] } ]",
      "",
    ].join("\n"),
    secrets: [tokens.authentik, tokens.hex, tokens.github],
  },
  {
    name: "identity-center: secret as a permission set description, a tag key and an account name",
    text: identityCenter
      .replace("    description: Data lake access\n", `    description: ${tokens.awsSecret}\n`)
      .replace("      team: data\n", `      team: data\n      ${tokens.hex}: y\n`)
      .replace("name: Production }", `name: "${tokens.authentik}" }`),
    secrets: [tokens.awsSecret, tokens.hex, tokens.authentik],
  },
];

const INDICATORS = ["{", "}", "[", "]", ":", ",", "'", '"', "\t", "\n", "&", "*", "!", "|", ">", "%", "@", "`"];

type Mutation = { what: string; text: string };

function mutations(text: string, secrets: string[], count: number, seed: number): Mutation[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  // Where the secrets are: half of the mutations land near one, where breaking the file hurts most.
  const spots = secrets.flatMap((s) => {
    const out: number[] = [];
    for (let i = text.indexOf(s); i >= 0; i = text.indexOf(s, i + 1)) out.push(i);
    return out;
  });
  const position = () => {
    if (random() < 0.5 || spots.length === 0) return Math.floor(random() * (text.length + 1));
    const at = pick(spots) + Math.floor(random() * 90) - 25;
    return Math.max(0, Math.min(text.length, at));
  };
  const out: Mutation[] = [];
  for (let i = 0; i < count; i++) {
    const kind = random();
    const at = position();
    if (kind < 0.3) {
      const ch = pick(INDICATORS);
      out.push({ what: `insert ${JSON.stringify(ch)} at ${at}`, text: text.slice(0, at) + ch + text.slice(at) });
    } else if (kind < 0.5) {
      out.push({ what: `delete at ${at}`, text: text.slice(0, at) + text.slice(at + 1) });
    } else if (kind < 0.8) {
      const ch = pick(INDICATORS);
      out.push({ what: `replace at ${at} by ${JSON.stringify(ch)}`, text: text.slice(0, at) + ch + text.slice(at + 1) });
    } else if (kind < 0.92) {
      const lines = text.split("\n");
      // Lines holding a secret are duplicated more often than the rest.
      const withSecret = lines.map((l, n) => (secrets.some((s) => l.includes(s)) ? n : -1)).filter((n) => n >= 0);
      const n = random() < 0.5 && withSecret.length > 0 ? pick(withSecret) : Math.floor(random() * lines.length);
      lines.splice(n, 0, lines[n]!);
      out.push({ what: `duplicate line ${n + 1}`, text: lines.join("\n") });
    } else {
      out.push({ what: `cut at ${at}`, text: text.slice(0, at) });
    }
  }
  return out;
}

/** Every 8-character piece of the secrets: any longer leaked piece contains one. */
function pieces(secrets: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const s of secrets) for (let i = 0; i + 8 <= s.length; i++) out.add(s.slice(i, i + 8));
  return out;
}

function leak(text: string, secretPieces: ReadonlySet<string>): string | undefined {
  for (let i = 0; i + 8 <= text.length; i++) {
    const piece = text.slice(i, i + 8);
    if (secretPieces.has(piece)) return piece;
  }
  return undefined;
}

const PER_SEED = 1500;

describe("no message echoes a secret from a broken config (seeded fuzzing)", () => {
  it("the seeds are valid, and validating them prints none of their secrets", () => {
    for (const seed of seeds) {
      const result = validateConfigText("aws-access.yaml", seed.text);
      expect(result.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), seed.name).toEqual([]);
      for (const s of seed.secrets) expect(seed.text).toContain(s);
    }
  });

  it.each(seeds.map((s, i) => [s.name, i] as const))(`%s: ${PER_SEED} mutations, no diagnostic holds any 8 characters of a secret`, (_name, index) => {
    const seed = seeds[index]!;
    const secretPieces = pieces(seed.secrets);
    const leaks: string[] = [];
    let failed = 0;
    // yaml reports some oddities (a mapping used as a key) through process.emitWarning, quoting the source.
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    for (const m of mutations(seed.text, seed.secrets, PER_SEED, 1000 + index)) {
      const result = validateConfigText("aws-access.yaml", m.text);
      if (result.diagnostics.some((d) => d.severity === "error")) failed++;
      for (const d of result.diagnostics) {
        const piece = leak(d.message, secretPieces);
        if (piece) leaks.push(`${m.what}: ${d.line}:${d.column} ${d.message.replaceAll(piece, `«${piece}»`)}`);
      }
    }
    const warned = warnings.mock.calls.map((call) => String(call[0]));
    warnings.mockRestore();
    // The mutations must mostly break the file, or they test nothing.
    expect(failed).toBeGreaterThan(PER_SEED / 2);
    expect(leaks).toEqual([]);
    expect(warned).toEqual([]);
  });

  it("nor does anything the CLI prints (validate, for a sample of the mutations)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aag-fuzz-"));
    // identity-center configs name their SP metadata file, next to the config.
    writeFileSync(path.join(dir, "identity-center-sp-metadata.xml"), readFileSync(path.join(root, "examples", "identity-center-sp-metadata.xml")));
    const leaks: string[] = [];
    for (const [index, seed] of seeds.entries()) {
      const secretPieces = pieces(seed.secrets);
      for (const [n, m] of mutations(seed.text, seed.secrets, 60, 5000 + index).entries()) {
        const file = path.join(dir, `m${index}-${n}.yaml`);
        writeFileSync(file, m.text);
        const r = await runCli(["validate", "-c", file], {}, dir);
        expect(r.code === 0 || r.code === 1, `${m.what}: exit ${r.code}`).toBe(true);
        expect(r.stderr).not.toContain("internal error");
        const piece = leak(r.stdout + r.stderr, secretPieces);
        if (piece) leaks.push(`${seed.name} / ${m.what}: ${(r.stdout + r.stderr).replaceAll(piece, `«${piece}»`)}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
