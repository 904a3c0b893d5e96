import { defineStrings } from '../lib/i18n.svelte';

export default defineStrings(
  {
    data: 'Data',
    model: 'Network',
    training: 'Training',
    global: 'global',
    range: 'from {min} to {max}',
    liveLr: 'Changes apply to the running run at once',
    restartNote: 'Changing a setting while a run trains restarts it with the new settings.',
    urlErrors: 'Some settings in the link could not be used: {list}',
    items: 'comma-separated numbers',
  },
  {
    data: '数据',
    model: '网络',
    training: '训练',
    global: '全局',
    range: '从 {min} 到 {max}',
    liveLr: '修改会立即作用于正在运行的训练',
    restartNote: '训练进行中修改设置，会用新设置重新开始训练。',
    urlErrors: '链接中的部分设置无法使用：{list}',
    items: '用逗号分隔的数字',
  },
);
