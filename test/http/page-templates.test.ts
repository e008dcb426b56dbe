import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPageTemplates } from '../../src/http/page-templates.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sesame-templates-'));
  mkdirSync(join(dir, 'partials'));
  writeFileSync(join(dir, 'partials/head.ejs'), '<h1><%= title %></h1>');
  writeFileSync(join(dir, 'page.ejs'), "<%- include('/partials/head', { title: 'Hi' }) %><p><%= name %></p>");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('page templates', () => {
  it('renders with partials included by absolute name, escaping locals', async () => {
    const { engineSource } = createPageTemplates({ viewsDir: dir, keepCompiled: true });
    expect(await engineSource.ejs(join(dir, 'page.ejs'), { name: '<b>' })).toBe('<h1>Hi</h1><p>&lt;b&gt;</p>');
  });

  it('keeps the compiled template outside development, and reads the file again in development', async () => {
    const kept = createPageTemplates({ viewsDir: dir, keepCompiled: true });
    const fresh = createPageTemplates({ viewsDir: dir, keepCompiled: false });
    await kept.engineSource.ejs(join(dir, 'page.ejs'), { name: 'a' });
    writeFileSync(join(dir, 'page.ejs'), '<p>edited <%= name %></p>');
    expect(await kept.engineSource.ejs(join(dir, 'page.ejs'), { name: 'a' })).toBe('<h1>Hi</h1><p>a</p>');
    expect(await fresh.engineSource.ejs(join(dir, 'page.ejs'), { name: 'a' })).toBe('<p>edited a</p>');
  });
});
