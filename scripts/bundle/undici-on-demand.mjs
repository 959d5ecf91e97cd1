// Stands in for the npm package 'undici' inside the bundle (see scripts/bundle.mjs). Its two users:
// - @actions/github: `fetch(url, { ...init, dispatcher })`, the dispatcher undefined unless a proxy is set;
// - @actions/http-client: `new ProxyAgent({ uri, token, … })`, built only when a proxy is set.
// Without a proxy, Node 24's built-in fetch (itself undici) serves and the npm copy is never loaded; with one,
// the npm undici is imported on first use (a separate chunk) and the ProxyAgent built from the saved options.

/** A ProxyAgent that becomes undici's own on the first request through it. */
export class ProxyAgent {
  constructor(options) {
    this.proxyOptions = options;
    // http-client may set options.rejectUnauthorized on it (ignoreSslError); kept and passed on.
    this.options = {};
    this.agent = undefined;
  }
}

export async function fetch(input, init = {}) {
  const { dispatcher, ...rest } = init;
  if (dispatcher === undefined) return globalThis.fetch(input, rest);
  const undici = await import('undici');
  if (dispatcher instanceof ProxyAgent) {
    dispatcher.agent ??= new undici.ProxyAgent({
      ...dispatcher.proxyOptions,
      ...(dispatcher.options.rejectUnauthorized === false
        ? { requestTls: { rejectUnauthorized: false } }
        : {}),
    });
    return undici.fetch(input, { ...rest, dispatcher: dispatcher.agent });
  }
  return undici.fetch(input, init);
}
