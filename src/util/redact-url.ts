/**
 * URLs as the tool prints them: without a user name or password
 * (`https://user:pass@host`), and without the query string or fragment, which
 * may carry a token (`?token=…`). A URL's scheme, host, port and path are what
 * a reader needs to see where the tool went.
 */

/** One URL for display. Text that does not parse as a URL is cleaned as well as it can be. */
export function displayUrl(url: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/s.exec(url);
  if (!m) return url;
  const [, scheme, authority = "", path = "", query] = m;
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  return `${scheme}${host}${path}${query ? "?…" : ""}`;
}

/** Every URL inside a text (an error message, a line of output) passed through displayUrl. */
export function redactUrls(text: string): string {
  return text.replace(/[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>()]*/g, (url) => {
    // Punctuation that ends a sentence is not part of the URL.
    const trail = /[.,;:!)\]]+$/.exec(url)?.[0] ?? "";
    return displayUrl(url.slice(0, url.length - trail.length)) + trail;
  });
}

/**
 * A text with only the user name and password taken out of its URLs, the rest
 * left exactly as it is: the last line of defence on everything the CLI
 * prints, plans included, whose URLs (a relay state's query) must stay intact.
 */
export function stripUrlCredentials(text: string): string {
  return text.replace(/\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/g, "$1");
}
