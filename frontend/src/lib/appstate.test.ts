import { describe, expect, it } from 'vitest';
import type { Options } from './api';
import { app, currentQuery, draftIsOwn, openConfig, openUrl, shareLink } from './appstate.svelte';
import { DEFAULTS } from './fixtures';
import { locale } from './i18n.svelte';

const options = { defaults: DEFAULTS, optimizers: [] } as unknown as Options;

describe('the app state from a link and back', () => {
  it('takes every part from the link, names a bad key, and writes the same link back', () => {
    openUrl('?lang=zh&tab=lessons&lesson=dead-relu&foo=1&token=t&seed=3&model.nope=1&lab.surface=saddle&lab.lr=0.05');
    expect(app.tab).toBe('lessons');
    expect(app.lesson).toBe('dead-relu');
    expect(locale.lang).toBe('zh');
    expect(app.lab.surface).toBe('saddle');
    expect(app.lab.lr).toBe(0.05);
    expect(app.config).toBeNull();
    expect(currentQuery(options)).toBeNull(); // nothing to write before the draft exists

    expect(openConfig(options)).toEqual(['model.nope: not a setting']);
    expect(app.config?.seed).toBe(3);
    expect(draftIsOwn(options)).toBe(true);
    // the token and the bad key are dropped; the lab is written only while it is shown
    expect(currentQuery(options)).toBe('?lang=zh&tab=lessons&lesson=dead-relu&foo=1&seed=3');

    app.tab = 'lab';
    app.config!.seed = DEFAULTS.seed;
    locale.lang = 'en';
    expect(currentQuery(options)).toMatch(/^\?tab=lab&lesson=dead-relu&foo=1&lab\.surface=saddle&.*lab\.lr=0\.05/);
  });

  it('opens a plain link on the playground with the defaults', () => {
    openUrl('');
    openConfig(options);
    expect(app.tab).toBe('playground');
    expect(app.lesson).toBeNull();
    expect(app.config).toEqual(DEFAULTS);
    expect(draftIsOwn(options)).toBe(false);
    expect(currentQuery(options)).toBe('');
  });
});

describe('the run in the link', () => {
  it('takes the run from the link, keeps it in the URL, and shares the link with or without it', () => {
    openUrl('?run=r42&seed=3');
    expect(app.run).toBe('r42');
    openConfig(options);
    expect(currentQuery(options)).toBe('?run=r42&seed=3');
    const loc = { origin: 'http://host', pathname: '/' };
    expect(shareLink(options, true, loc)).toBe('http://host/?run=r42&seed=3');
    expect(shareLink(options, false, loc)).toBe('http://host/?seed=3');
    app.run = null; // Reset
    expect(currentQuery(options)).toBe('?seed=3');
    expect(shareLink(options, true, loc)).toBe('http://host/?seed=3');
  });
});
