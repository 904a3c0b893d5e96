import { defineStrings } from '../lib/i18n.svelte';

export default defineStrings(
  {
    label: 'Export',
    csv: 'Metrics CSV',
    json: 'Metrics JSON',
    csvTitle: 'Download this run’s metric history as CSV: one row per point, a column per series',
    jsonTitle: 'Download this run as JSON: its config, layers, events, learning-rate changes and metrics',
    noRun: 'Start a run first: there is nothing to export yet',
    failed: 'Export failed: {message}',
  },
  {
    label: '导出',
    csv: '指标 CSV',
    json: '指标 JSON',
    csvTitle: '把这次训练的指标历史下载为 CSV：每个数据点一行，每个序列一列',
    jsonTitle: '把这次训练下载为 JSON：配置、各层、事件、学习率变化和指标',
    noRun: '请先开始一次训练：现在还没有可导出的内容',
    failed: '导出失败：{message}',
  },
);
