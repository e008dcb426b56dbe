import { readFileSync } from 'node:fs';
import type { Context, Next } from 'koa';
import ejs from 'ejs';

type CompiledTemplate = (locals: Record<string, unknown>) => string;

/**
 * The EJS engine koa-views renders pages with, in place of consolidate's general one. Each
 * template is compiled once and kept (in development it is read again on every render, so edits
 * show on reload). Templates include partials by absolute name (`include('/partials/head')`,
 * resolved under `viewsDir`): a relative include makes EJS ask the file system whether the file
 * exists on every render.
 */
export function createPageTemplates({ viewsDir, keepCompiled }: { viewsDir: string; keepCompiled: boolean }) {
  const compiled = new Map<string, CompiledTemplate>();
  const compile = (path: string): CompiledTemplate =>
    ejs.compile(readFileSync(path, 'utf8'), { filename: path, root: viewsDir, cache: keepCompiled, async: false }) as CompiledTemplate;

  return {
    /** koa-views `engineSource`: its `ejs` entry is called with the template's path and the locals. */
    engineSource: {
      async ejs(path: string, locals: Record<string, unknown>): Promise<string> {
        if (!keepCompiled) return compile(path)(locals);
        let template = compiled.get(path);
        if (!template) compiled.set(path, (template = compile(path)));
        return template(locals);
      },
    },
    /**
     * Names the template file in full before koa-views looks for it: it stats the name it is
     * given first, and a name without the extension is one failed stat per render.
     */
    fullTemplateNames(ctx: Context, next: Next) {
      const render = ctx.render;
      ctx.render = (view: string, locals?: object) => render(view.endsWith('.ejs') ? view : `${view}.ejs`, locals);
      return next();
    },
  };
}
