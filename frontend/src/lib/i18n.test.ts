import { describe, expect, it } from 'vitest';
import { choiceLabel, fmt, initialLang, labelIn, placeholders, type Strings } from './i18n.svelte';

const tables = import.meta.glob<{ default: Strings<Record<string, string>> }>('../i18n/*.ts', { eager: true });

describe('string tables', () => {
  it('exist', () => {
    expect(Object.keys(tables).length).toBeGreaterThan(0);
  });

  for (const [file, mod] of Object.entries(tables)) {
    it(`${file}: both languages have the same keys, placeholders and no empty string`, () => {
      const { en, zh } = mod.default;
      expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
      for (const key of Object.keys(en)) {
        expect(en[key].trim(), `${file} en.${key}`).not.toBe('');
        expect(zh[key].trim(), `${file} zh.${key}`).not.toBe('');
        expect(placeholders(zh[key]), `${file} zh.${key}`).toEqual(placeholders(en[key]));
      }
    });

    it(`${file}: the Chinese table is translated`, () => {
      const { en, zh } = mod.default;
      const prose = Object.keys(en).filter((k) => /[a-z]{4,}\s+[a-z]{3,}/i.test(en[k]));
      for (const key of prose) expect(zh[key], `${file} zh.${key}`).toMatch(/[\u4e00-\u9fff]/);
    });
  }
});

describe('language', () => {
  const store = (v: string | null) => ({ getItem: () => v, setItem: () => {} }) as unknown as Storage;
  it('takes the URL first, then the remembered choice, then the browser', () => {
    expect(initialLang('zh', store('en'), 'en-US')).toBe('zh');
    expect(initialLang('xx', store('zh'), 'en-US')).toBe('zh');
    expect(initialLang(null, store(null), 'zh-CN')).toBe('zh');
    expect(initialLang(null, store(null), 'de-DE')).toBe('en');
  });

  it('fills placeholders and picks choice labels', () => {
    expect(fmt('{n} of {total}', { n: 3, total: 10 })).toBe('3 of 10');
    expect(fmt('{missing}', {})).toBe('{missing}');
    const c = { label: 'Learning rate', description: 'd', label_zh: '学习率', description_zh: '说明' };
    expect(choiceLabel(c, 'zh')).toBe('学习率');
    expect(choiceLabel(c, 'en')).toBe('Learning rate');
    expect(choiceLabel({ label: 'X', description: '' }, 'zh')).toBe('X');
  });
});

describe('labelIn', () => {
  it("names a choice in the page's language, and falls back to the name", () => {
    const list = [{ name: 'rmsprop', label: 'RMSprop', description: '', label_zh: 'RMSprop（中）' }];
    expect(labelIn(list, 'rmsprop', 'en')).toBe('RMSprop');
    expect(labelIn(list, 'rmsprop', 'zh')).toBe('RMSprop（中）');
    expect(labelIn(list, 'nope', 'zh')).toBe('nope');
  });
});
