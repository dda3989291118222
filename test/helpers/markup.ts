// A strict enough check of generated markup for the tests: every element
// opened is closed in order (HTML's void elements excepted), attributes are
// quoted, and the document has no script or external asset.

const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'col', 'area', 'base', 'wbr', 'source', 'track', 'embed']);

/** Problems found in `markup` (empty: well formed); `xml` makes void elements and self-closing tags strict XML. */
export function markupProblems(markup: string, opts: { xml?: boolean } = {}): string[] {
  const problems: string[] = [];
  const open: string[] = [];
  const body = markup.replace(/<!DOCTYPE[^>]*>/i, '').replace(/<!--[\s\S]*?-->/g, '');
  const inStyle = /<style[^>]*>[\s\S]*?<\/style>/g;
  const tags = body.replace(inStyle, (s) => s.replace(/^(<style[^>]*>)[\s\S]*(<\/style>)$/, '$1$2'));
  for (const m of tags.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>|<(?![A-Za-z/!])/g)) {
    if (m[2] === undefined) {
      problems.push(`a bare < at ${m.index}`);
      continue;
    }
    const [, closing, rawName, , selfClosing] = m;
    const name = opts.xml ? rawName! : rawName!.toLowerCase();
    if (closing) {
      const top = open.pop();
      if (top !== name) problems.push(`</${name}> closes <${top ?? 'nothing'}>`);
    } else if (!selfClosing && !(!opts.xml && VOID.has(name))) {
      open.push(name);
    }
  }
  // An attribute without quotes or a stray < would not match the tag pattern at all.
  const unmatched = tags.replace(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>/g, '');
  if (/<[A-Za-z/]/.test(unmatched)) problems.push(`a malformed tag near: ${/<[A-Za-z/][^>]*>?/.exec(unmatched)![0].slice(0, 60)}`);
  for (const name of open) problems.push(`<${name}> never closed`);
  return problems;
}

/** What would make a page load something: scripts, links, sources, url(). */
export function externalReferences(html: string): string[] {
  return [...html.matchAll(/<script\b|<link\b|<img\b|<iframe\b|\bsrc=|\bhref=|url\(|@import/gi)].map((m) => m[0]);
}
