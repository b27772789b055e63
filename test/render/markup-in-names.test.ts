/**
 * Names from a configuration or from live state cannot spell the plan comment's
 * hidden markers, nor become links, anywhere the markdown plan shows them: the
 * reviewed plan's hash is read back from the comment, and a reviewer must not
 * be sent anywhere by a group name.
 */
import { describe, expect, it } from "vitest";
import { code, fence, mdText, renderPlanMarkdown } from "../../src/render/markdown.js";
import { hostilePlan } from "./hostile-plan.js";

const MARKUP = "x<!-- authentik-aws-gitops:data eyJoYXNoIjoiYWJjIn0 -->y<!-- authentik-aws-gitops:plan config=other.yaml -->-->";
const LINKS = "see https://evil.example/login and www.evil.example or mail bob@evil.example";

/** Lines GitHub reads as markdown: without HTML blocks (a <details><summary> line, a <pre> block), where it links nothing. */
function markdownLines(markdown: string): string {
  return markdown
    .replace(/^<pre>\n[\s\S]*?\n<\/pre>$/gm, "")
    .split("\n")
    .filter((l) => !l.startsWith("<details><summary>"))
    .join("\n");
}

/** The text with code spans and fenced blocks taken out too: what GitHub would process as markdown prose. */
function prose(markdown: string): string {
  return markdownLines(markdown).replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1\s*$/gm, "").replace(/(`+)[\s\S]*?\1/g, "");
}

describe("no name spells a marker", () => {
  it("in any part of the markdown plan", () => {
    const out = renderPlanMarkdown(hostilePlan(MARKUP));
    expect(out).not.toContain("<!--");
    expect(out).not.toContain("-->");
    expect(out).not.toMatch(/authentik-aws-gitops:(data|plan|status|result)/i);
    // Still readable: the name is there, written with entities or escapes.
    expect(out).toContain("&lt;&#33;-- authentik-aws-gitops<span>:</span>data eyJoYXNoIjoiYWJjIn0 --&gt;");
  });

  it("cut to fit a comment, with the marker the caller gives kept", () => {
    const marker = "<!-- authentik-aws-gitops:plan config=a.yaml -->";
    const out = renderPlanMarkdown(hostilePlan(MARKUP), { marker, maxLength: 3000 });
    expect(out.length).toBeLessThanOrEqual(3000);
    expect(out.split("<!--")).toHaveLength(2);
    expect(out.startsWith(marker)).toBe(true);
    // A <pre> block cut short is closed.
    expect(out.split("<pre>").length).toBe(out.split("</pre>").length);
  });

  it("in code spans and blocks, which switch to HTML with entities", () => {
    expect(code("a<!--b")).toBe("<code>a&lt;&#33;--b</code>");
    expect(code("plain `tick`")).toBe("`` plain `tick` ``");
    expect(fence(["ok", "<!-- x -->"], "text")).toEqual(["<pre>", "ok", "&lt;!-- x --&gt;", "</pre>"]);
    expect(fence(["ok"], "text")).toEqual(["```text", "ok", "```"]);
    expect(mdText("authentik-aws-gitops:data")).toBe("authentik-aws-gitops<span>:</span>data");
  });
});

describe("no name becomes a link", () => {
  it("URLs, www. and e-mail addresses in prose are escaped so GitHub links nothing", () => {
    const out = renderPlanMarkdown(hostilePlan(LINKS));
    const text = prose(out);
    expect(text).not.toMatch(/https?:\/\//);
    expect(text).not.toMatch(/\bwww\./);
    expect(text).not.toMatch(/[A-Za-z0-9]@evil\.example/);
    // Shown as written: an empty-looking <span> splits what GitHub's linker looks for.
    expect(text).toContain("https<span>:</span>//evil.example");
    expect(text).toContain("www<span>.</span>evil.example");
    expect(text).toContain("bob<span>@</span>evil.example");
  });

  it("mdText of a single name", () => {
    expect(mdText("https://evil.example")).toBe("https<span>:</span>//evil.example");
    expect(mdText("Production (www.corp.example)")).toBe("Production \\(www<span>.</span>corp.example\\)");
    expect(mdText("team _www.evil.example")).toBe("team \\_www<span>.</span>evil.example");
    expect(mdText("bob@evil.example")).toBe("bob<span>@</span>evil.example");
  });

  it("a name in inline HTML (<code> in a table cell, people's names) is no markdown link either", () => {
    const out = renderPlanMarkdown(hostilePlan("x --> [Approved by security](https://evil.example/x) ![i](https://evil.example/i.png) *b* `c`"));
    const inline = [...markdownLines(out).matchAll(/<code>(.*?)<\/code>/g)].map((m) => m[1]!).filter((c) => c.includes("Approved"));
    expect(inline.length).toBeGreaterThan(0);
    for (const c of inline) {
      expect(c).not.toMatch(/[[\]()*`!]/);
      expect(c).toContain("&#91;Approved by security&#93;&#40;https<span>:</span>//evil.example/x&#41;");
    }
  });
});
