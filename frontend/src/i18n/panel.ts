import { defineStrings } from '../lib/i18n.svelte';

export default defineStrings(
  {
    savePng: 'PNG',
    savePngTitle: 'Save this panel as a PNG image',
    help: 'What is this?',
    noData: 'No data yet',
    presentTitle: 'Present: show this panel alone, full screen and large, for a projector (Escape leaves)',
    exit: 'Exit',
    exitTitle: 'Leave the presenter view (Escape)',
  },
  {
    savePng: 'PNG',
    savePngTitle: '把这个面板保存为 PNG 图片',
    help: '这是什么？',
    noData: '暂无数据',
    presentTitle: '演示：单独全屏放大显示这个面板，便于投影（按 Esc 退出）',
    exit: '退出',
    exitTitle: '退出演示视图（Esc）',
  },
);
