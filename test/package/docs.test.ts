/**
 * The documentation stays usable: the README is a landing page (under 20 KB), its
 * command summary lists what `--help` shows, every relative link in the README
 * and docs/ leads to a file that exists — and, with a #fragment, to a heading there —
 * and docs/development.md's map of src/ names every folder and file there, and no other.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");
const docsDir = path.join(root, "docs");
const markdownFiles = ["README.md", ...readdirSync(docsDir).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f))];
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

/** The text without fenced code blocks (their `[x](y)` and `# lines` are not markdown). */
function withoutFences(text: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of text.split("\n")) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) fence = marker[0]!.repeat(marker.length);
    else if (fence !== undefined && marker?.startsWith(fence)) fence = undefined;
    else if (fence === undefined) out.push(line);
  }
  return out.join("\n");
}

/** The anchors GitHub gives a file's headings (github-slugger), and explicit `id`/`name` anchors. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of withoutFences(text).split("\n")) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const plain = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "");
      const base = plain.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      result.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) result.add(m[1]!);
  }
  return result;
}

/** Every link target in the file: inline links and images, and reference definitions. */
function links(text: string): string[] {
  const prose = withoutFences(text).replace(/(`+)[^`]*?\1/g, "");
  const targets = [...prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  targets.push(...[...prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!));
  return targets;
}

describe("README.md", () => {
  it("is a landing page under 20 KB (the rest lives in docs/)", () => {
    const bytes = statSync(path.join(root, "README.md")).size;
    expect(bytes, `README.md has ${bytes} bytes; move detail into docs/`).toBeLessThan(20_000);
  });

  it("lists every docs/ file in its table of contents", () => {
    const readme = read("README.md");
    const unlisted = readdirSync(docsDir)
      .filter((f) => f.endsWith(".md"))
      .filter((f) => !readme.includes(`(docs/${f})`));
    expect(unlisted).toEqual([]);
  });

  it("summarizes every command and option that --help shows, and no other", async () => {
    const bin = path.join(root, "bin", "authentik-aws-gitops.js");
    expect(existsSync(path.join(root, "lib", "src", "cli", "main.js")), "lib/ is not built: run `npm run build` (`npm test` does)").toBe(true);
    const help = async (args: string[]) => (await promisify(execFile)(process.execPath, [bin, ...args, "--help"], { cwd: root })).stdout;
    const top = await help([]);
    const commands = [...top.slice(top.indexOf("Commands:")).matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== "help");
    expect(commands.length).toBeGreaterThan(3);

    const readme = read("README.md");
    const start = readme.indexOf("\n## Command line");
    expect(start, "README.md has no '## Command line' section").toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
    const synopsis = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? "";

    /** Each command's lines of the synopsis: its first line and the continuation lines after it. */
    const usage = new Map<string, string>();
    let current = "";
    for (const line of synopsis.split("\n")) {
      const command = /^authentik-aws-gitops ([a-z][a-z-]*)/.exec(line)?.[1];
      if (command !== undefined) current = command;
      else if (!line.startsWith(" ")) current = "";
      if (current) usage.set(current, `${usage.get(current) ?? ""}${line}\n`);
    }
    /** Options a synopsis names: `--long` and `-s`. */
    const named = (text: string) => new Set([...text.matchAll(/(?<![\w-])(--?[a-zA-Z][a-z-]*)/g)].map((m) => m[1]!));
    /** Options `--help` defines (not those its descriptions mention): [short, long] per line. */
    const defined = (text: string) =>
      [...text.slice(text.indexOf("Options:")).matchAll(/^ {2}(?:(-[a-zA-Z]), )?(--[a-z][a-z-]*)/gm)].map((m) => [m[1], m[2]!] as const);
    const missing: string[] = [];
    const shown = new Set(defined(top).flat());
    for (const command of commands) {
      const listed = named(usage.get(command) ?? "");
      if (!usage.has(command)) missing.push(command);
      for (const [short, long] of defined(await help([command]))) {
        shown.add(long).add(short);
        if (long !== "--help" && !listed.has(long) && !(short && listed.has(short))) missing.push(`${command} ${long}`);
      }
    }
    expect(missing, "README.md's command summary lacks what --help shows").toEqual([]);
    expect([...named(synopsis)].filter((o) => !shown.has(o)), "README.md's command summary names options --help does not show").toEqual([]);
  });
});

describe.each(markdownFiles)("%s", (file) => {
  it("links only to files (and headings) that exist", () => {
    const broken: string[] = [];
    for (const target of links(read(file))) {
      if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [rawPath = "", fragment] = target.split("#", 2) as [string, string | undefined];
      const linkPath = decodeURIComponent(rawPath);
      const resolved = linkPath === "" ? path.join(root, file) : path.join(root, path.dirname(file), linkPath);
      if (!resolved.startsWith(root + path.sep) || !existsSync(resolved)) {
        broken.push(`${target}: no such file`);
        continue;
      }
      if (fragment !== undefined && resolved.endsWith(".md") && !anchors(readFileSync(resolved, "utf8")).has(decodeURIComponent(fragment))) {
        broken.push(`${target}: no heading with that anchor in ${path.relative(root, resolved)}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

/**
 * The map of `src/` in docs/development.md: a fenced block of lines `NAME  what it holds`,
 * top-level names starting with `src/`, a folder's entries indented two spaces under it and
 * named relative to it. Returns the paths it names (folders ending in "/"), and what in
 * the block does not follow that form.
 */
function srcMap(text: string): { named: string[]; malformed: string[] } {
  const intro = text.indexOf("`src/`, one line per folder and file");
  expect(intro, "docs/development.md has no map of src/").toBeGreaterThan(0);
  const block = /```\n([\s\S]*?)```/.exec(text.slice(intro))?.[1] ?? "";
  const named: string[] = [];
  const malformed: string[] = [];
  /** The folders the current line is inside, outermost first. */
  const folders: string[] = [];
  for (const line of block.split("\n").filter((l) => l.trim() !== "")) {
    const m = /^((?: {2})*)(\S+)\s{2,}\S/.exec(line);
    const depth = m ? m[1]!.length / 2 : -1;
    if (!m || depth > folders.length || (depth === 0) !== m[2]!.startsWith("src/")) {
      malformed.push(line);
      continue;
    }
    folders.length = depth;
    const entry = folders.join("") + m[2]!;
    named.push(entry);
    if (entry.endsWith("/")) folders.push(m[2]!);
  }
  return { named, malformed };
}

/** Every folder (ending in "/") and file under src/, as `src/…` paths. */
function srcTree(dir = "src"): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const p = `${dir}/${e.name}`;
    return e.isDirectory() ? [`${p}/`, ...srcTree(p)] : [p];
  });
}

describe("docs/development.md's map of src/", () => {
  it("names every folder and file under src/, each once, and nothing that is not there", () => {
    const { named, malformed } = srcMap(read(path.join("docs", "development.md")));
    expect(malformed, "lines of the map not of the form `NAME  what it holds` (two spaces per level, top level src/…)").toEqual([]);
    const tree = new Set(srcTree());
    expect([...tree].filter((p) => !named.includes(p)).sort(), "under src/ but missing from the map in docs/development.md: give each its line").toEqual([]);
    expect(named.filter((p) => !tree.has(p)), "named in the map in docs/development.md but not under src/").toEqual([]);
    expect(named.filter((p, i) => named.indexOf(p) !== i), "named twice in the map").toEqual([]);
  });
});
