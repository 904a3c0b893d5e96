import { defineStrings } from '../lib/i18n.svelte';

export default defineStrings(
  {
    savePng: 'PNG',
    savePngTitle: 'Save this panel as a PNG image',
    help: 'What is this?',
    noData: 'No data yet',
  },
  {
    savePng: 'PNG',
    savePngTitle: '把这个面板保存为 PNG 图片',
    help: '这是什么？',
    noData: '暂无数据',
  },
);
