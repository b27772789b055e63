/**
 * The shape of src/, held by a test rather than by hand: imports point down only. Between
 * the folders of src/ (and its top-level files) the import graph has no cycle — a folder
 * never imports one that imports it back, however indirectly — and between files there
 * is no circle either.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.join(import.meta.dirname, "..", "..", "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** file → the src files it imports (relative imports, `import` and `export … from`, type-only ones too). */
function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    const targets = new Set<string>();
    for (const m of readFileSync(file, "utf8").matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gms)) {
      targets.add(path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, ".ts")));
    }
    graph.set(file, targets);
  }
  return graph;
}

/** The room a file is in: its folder under src/, or the file itself at the top. */
const room = (file: string) => path.relative(SRC, file).split(path.sep)[0]!.replace(/\.ts$/, "");

/** Every cycle of a directed graph (each found once, from where the search met it). */
function cycles(edges: Map<string, Set<string>>): string[][] {
  const state = new Map<string, 1 | 2>();
  const found: string[][] = [];
  const visit = (n: string, stack: string[]) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === 1) found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m, stack);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of edges.keys()) if (!state.has(n)) visit(n, []);
  return found;
}

describe("src/ imports point down only", () => {
  const graph = importGraph();

  it("no folder imports one that imports it back (no cycle between the folders of src/)", () => {
    const folders = new Map<string, Set<string>>();
    const why = new Map<string, string>();
    for (const [file, targets] of graph) {
      for (const t of targets) {
        const [a, b] = [room(file), room(t)];
        if (a === b) continue;
        (folders.get(a) ?? folders.set(a, new Set()).get(a)!).add(b);
        why.set(`${a} -> ${b}`, `${path.relative(SRC, file)} imports ${path.relative(SRC, t)}`);
      }
    }
    const found = cycles(folders).map((c) => c.map((n, i) => (i < c.length - 1 ? `${n} -> ${c[i + 1]} (${why.get(`${n} -> ${c[i + 1]}`)})` : "")).filter(Boolean).join("; "));
    expect(found).toEqual([]);
  });

  it("no file imports itself through others (no circle)", () => {
    expect(cycles(graph).map((c) => c.map((f) => path.relative(SRC, f)).join(" -> "))).toEqual([]);
  });

  it("the domain folder imports nothing of ours outside it but the leaves (errors.ts, util/)", () => {
    const outward = [...graph].flatMap(([file, targets]) =>
      room(file) === "domain" ? [...targets].filter((t) => !["domain", "errors", "util"].includes(room(t))).map((t) => `${path.relative(SRC, file)} -> ${path.relative(SRC, t)}`) : [],
    );
    expect(outward).toEqual([]);
  });
});
