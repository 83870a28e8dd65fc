// Routes: method + path pattern -> handler. Patterns name their parameters in
// braces; `{name*}` matches greedily across slashes (image names such as
// 127.0.0.1:5000/x/y:tag appear in paths, docker-api.md).
import type { RequestCtx } from './http.js';

export type Handler = (ctx: RequestCtx) => Promise<void>;

interface Route {
  method: string;
  re: RegExp;
  handler: Handler;
}

function compile(pattern: string): RegExp {
  const src = pattern
    .split(/(\{[a-zA-Z]+\*?\})/)
    .map((part) => {
      if (part.startsWith('{')) return part.endsWith('*}') ? '(.+)' : '([^/]+)';
      return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${src}/?$`);
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, re: compile(pattern), handler });
    return this;
  }

  /** The handler and decoded parameters, `undefined` when no route matches the path. */
  match(method: string, path: string): { handler: Handler; params: string[] } | 'method' | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      return { handler: r.handler, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    }
    return pathMatched ? 'method' : undefined;
  }
}
