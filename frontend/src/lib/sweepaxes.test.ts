import { describe, expect, it } from 'vitest';
import type { ExperimentConfig, Options } from './api';
import { availableAxes, axesFor, axisById, axisValues, axisValueText, buildGrid, duplicateValue, gridFieldAxis } from './sweepaxes';

const config = { model: { hidden: [6, 6] }, seed: 3 } as unknown as ExperimentConfig;
const limits = { max_hidden_layers: 64, max_width: 1024 };

describe('the New sweep form’s axes', () => {
  it('are settings the server’s schema has, learning rate first', () => {
    const ids = availableAxes().map((a) => a.id);
    expect(ids[0]).toBe('lr');
    expect(ids).toEqual(expect.arrayContaining(['batch', 'depth', 'width', 'weight_decay']));
  });

  it('turn a depth or a width into hidden layers at the form’s other size', () => {
    expect(axisValues(axisById('depth')!, '1, 3', config, limits)).toEqual({ values: [[6], [6, 6, 6]] });
    expect(axisValues(axisById('width')!, '4,16', config, limits)).toEqual({ values: [[4, 4], [16, 16]] });
  });

  it('refuse what the server would, naming the value', () => {
    expect(axisValues(axisById('lr')!, '0.1, 50', config, limits)).toMatchObject({ problem: { kind: 'item', index: 1, problem: { kind: 'above' } } });
    expect(axisValues(axisById('batch')!, '8, 2.5', config, limits)).toMatchObject({ problem: { kind: 'notInteger', text: '2.5' } });
    expect(axisValues(axisById('depth')!, '65', config, limits)).toMatchObject({ problem: { kind: 'item', index: 0 } });
    expect(axisValues(axisById('lr')!, ' , ', config, limits)).toEqual({ problem: { kind: 'empty' } });
    expect(axisValues(axisById('lr')!, 'fast', config, limits)).toEqual({ problem: { kind: 'notNumber', text: 'fast' } });
  });

  it('build the grid with the seeds from the form’s seed on, none for one seed', () => {
    expect(buildGrid([['optimizer.lr', [0.1, 0.01]]], 3, config)).toEqual({ 'optimizer.lr': [0.1, 0.01], seed: [3, 4, 5] });
    expect(buildGrid([['optimizer.lr', [0.1]]], 1, config)).toEqual({ 'optimizer.lr': [0.1] });
  });

  it('find the axis a 422 names', () => {
    expect(gridFieldAxis('grid.optimizer.lr.3', ['optimizer.lr', 'seed'])).toBe('optimizer.lr');
    expect(gridFieldAxis('grid.model.hidden.1', ['model.hidden'])).toBe('model.hidden');
    expect(gridFieldAxis('grid', ['seed'])).toBe('');
    expect(gridFieldAxis('config.steps', ['seed'])).toBeNull();
  });
});

describe('the axes offered for the settings', () => {
  const optimizers = [
    { name: 'sgd', params: [{ name: 'lr' }, { name: 'weight_decay' }] },
    { name: 'momentum', params: [{ name: 'lr' }, { name: 'momentum' }, { name: 'weight_decay' }] },
    { name: 'adam', params: [{ name: 'lr' }, { name: 'beta1' }, { name: 'beta2' }, { name: 'weight_decay' }] },
  ];
  const options = { optimizers } as unknown as Pick<Options, 'optimizers'>;
  const with_ = (optimizer: string, kind = 'mlp') =>
    ({ model: { kind, hidden: [8] }, optimizer: { name: optimizer }, seed: 0 }) as unknown as ExperimentConfig;
  const ids = (c: ExperimentConfig) => axesFor(c, options).map((a) => a.id);

  it('vary only what the chosen optimizer takes, per the registry', () => {
    expect(ids(with_('sgd'))).not.toContain('momentum');
    expect(ids(with_('momentum'))).toContain('momentum');
    expect(ids(with_('momentum'))).not.toContain('beta1');
    const adam = availableAxes().some((a) => a.id === 'beta1') ? ['beta1', 'beta2'] : [];
    expect(ids(with_('adam'))).toEqual(expect.arrayContaining(['lr', 'weight_decay', ...adam]));
    expect(ids(with_('adam'))).not.toContain('momentum');
  });

  it('vary the hidden layers of an MLP only', () => {
    expect(ids(with_('sgd'))).toEqual(expect.arrayContaining(['depth', 'width']));
    expect(ids(with_('sgd', 'rnn'))).not.toContain('depth');
    expect(ids(with_('sgd', 'cnn'))).not.toContain('width');
  });

  it('find a value typed twice', () => {
    expect(duplicateValue([0.1, 0.3, 0.1])).toBe(0.1);
    expect(duplicateValue([1, 2, 3])).toBeNull();
  });

  it('print layers of one width readably, others as a list', () => {
    expect(axisValueText([8, 8, 8, 8, 8, 8, 8, 8], '{n} × {w} units')).toBe('8 × 8 units');
    expect(axisValueText([8, 8])).toBe('2×8');
    expect(axisValueText([8, 4])).toBe('8-4');
    expect(axisValueText(0.03)).toBe('0.03');
  });
});
