import { describe, expect, it } from 'vitest';
import formStrings from '../i18n/form';
import { blockingFields, clearInvalid, invalid, markInvalid, resetInvalid, showField } from './invalid.svelte';
import { fieldInfo } from './schema';
import { checkList, checkNumber, describeProblem, refusedText, type NumberRange } from './validation';

const en = formStrings.en;
const zh = formStrings.zh;
const lr = fieldInfo('optimizer.lr') as NumberRange;
const steps = fieldInfo('steps') as NumberRange;

/** Why `text` is refused for `range`, in English; null when it is taken. */
function why(text: string, range: NumberRange): string | null {
  const r = checkNumber(text, range);
  return r.ok ? null : describeProblem(r.problem, en);
}

describe('a typed number', () => {
  it('is taken as it is within the schema range, at its limits too', () => {
    expect(lr.min).toBe(1e-6);
    expect(lr.max).toBe(10);
    for (const [text, value] of [['0.03', 0.03], ['1e-6', 1e-6], ['10', 10], [' 2 ', 2]] as const) {
      expect(checkNumber(text, lr)).toEqual({ ok: true, value });
    }
  });

  it('is refused, never clamped, out of range: the message holds what was typed and the limit', () => {
    expect(why('-1', lr)).toBe('-1 is below the minimum of 1e-6.');
    expect(why('1e9', lr)).toBe('1e9 is above the maximum of 10.');
    expect(why('0', lr)).toBe('0 is below the minimum of 1e-6.');
    expect(why('', lr)).toBe('Enter a number from 1e-6 to 10.');
    expect(why('abc', lr)).toBe("'abc' is not a number.");
    expect(why('Infinity', lr)).toBe("'Infinity' is not a number.");
  });

  it('must be whole where the schema says integer', () => {
    expect(steps.kind).toBe('integer');
    expect(why('2.5', steps)).toBe('2.5 is not a whole number.');
    expect(why('-5', steps)).toBe(`-5 is below the minimum of ${steps.min}.`);
    expect(why('3000', steps)).toBeNull();
  });

  it('names an exclusive minimum as one', () => {
    const range = { kind: 'number', min: 0, minExclusive: true };
    expect(why('0', range)).toBe('Must be above 0; 0 is not.');
    expect(why('0.001', range)).toBeNull();
  });

  it('is described in Chinese too, with the same numbers', () => {
    const r = checkNumber('1e9', lr);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(describeProblem(r.problem, zh)).toBe('1e9 大于最大值 10。');
  });
});

describe('a typed list', () => {
  const range = { itemMin: 1, itemMax: 64, minItems: 1, maxItems: 4 };

  it('takes whole numbers in range, separated by commas or spaces', () => {
    expect(checkList('8, 16 32', range)).toEqual({ ok: true, value: [8, 16, 32] });
  });

  it('names the first item out of range, and a count out of range', () => {
    const item = checkList('8, 100', range);
    expect(item.ok).toBe(false);
    if (!item.ok) expect(describeProblem(item.problem, en)).toBe('Value 2: 100 is above the maximum of 64.');
    const count = checkList('1,2,3,4,5', range);
    if (!count.ok) expect(describeProblem(count.problem, en)).toBe('5 values; 1 to 4 are allowed.');
    expect(count.ok).toBe(false);
    const none = checkList('', range);
    if (!none.ok) expect(describeProblem(none.problem, en)).toBe('0 values; 1 to 4 are allowed.');
    expect(none.ok).toBe(false);
  });
});

describe("a link's refused values, in words", () => {
  it('say the value, the limit and what the setting keeps', () => {
    const text = refusedText(
      [{ path: 'steps', problem: { kind: 'below', text: '-5', limit: 1, exclusive: false } }],
      () => 3000,
      en,
    );
    expect(text).toEqual(['steps: -5 is below the minimum of 1. Not used: the setting keeps 3000.']);
  });
});

describe('invalid values and Play', () => {
  it('block Play while their field is on screen, and go with it', () => {
    resetInvalid();
    const hide = showField('optimizer.lr', () => 'Learning rate: 1e9 is above the maximum of 10.');
    expect(blockingFields()).toEqual([]);
    markInvalid('optimizer.lr', '1e9');
    expect(blockingFields()).toEqual(['Learning rate: 1e9 is above the maximum of 10.']);
    clearInvalid('optimizer.lr');
    expect(blockingFields()).toEqual([]);
    markInvalid('optimizer.lr', '1e9');
    hide(); // the field left the screen: what was typed is dropped (the draft kept its valid value)
    expect(invalid).toEqual({});
    expect(blockingFields()).toEqual([]);
  });

  it("a link's value for a field not on screen does not block, and shows once the field does", () => {
    resetInvalid({ 'dataset.seq_len': '500' });
    expect(blockingFields()).toEqual([]);
    const hide = showField('dataset.seq_len', () => 'Sequence length: 500 is above the maximum of 200.');
    expect(blockingFields()).toHaveLength(1);
    hide();
    expect(invalid).toEqual({});
  });
});
