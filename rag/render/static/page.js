// First script of the page (rag/render/page.py), before Gradio's own. Gradio picks the language of its
// own strings (the upload zone, buttons, messages) from navigator.language as it starts, and gives English
// to anything but an exact "zh-CN" or "zh-TW" ("zh", "zh-Hans", an English browser): this app speaks Chinese.
Object.defineProperty(Navigator.prototype, 'language', {get: () => 'zh-CN', configurable: true});
Object.defineProperty(Navigator.prototype, 'languages', {get: () => ['zh-CN', 'zh'], configurable: true});

// What Gradio writes in English whatever the language: the title of a message box ("Error"), its close
// button, the browser-side refusal of a file over the size limit, the progress line over a busy panel
// ("queue: 1/2 |", "processing |") and its spoken twin, and the upload zone's label for screen readers
// ("Click to upload or drop files", unlike the Chinese it shows; without it the zone is named by what
// it shows). Fixed as they appear and as they change; the upload zone is redrawn after every upload.
const TITLES = {Error: '出错了', Warning: '请注意', Info: '提示', Success: '完成'};
const TOO_BIG = /^File\(s\) exceed the maximum allowed size of ([\d.]+) ?\w*: (.*)$/s;
const PROGRESS = [
  [/^queue: (\d+)\/(\d*) \|$/, '排队 $1/$2 |'],
  [/^processing \|$/, '处理中 |'],
  [/^In queue: (\d+) of (\d+)$/, '排队中：第 $1 位，共 $2 位'],
  [/^(from|used) cache$/, '取自缓存'],
];
const progress = (box) => {
  const walk = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const text = walk.currentNode.data.trim();
    const rule = PROGRESS.find(([pattern]) => pattern.test(text));
    if (rule) walk.currentNode.data = text.replace(...rule);
  }
};
const chinese = () => {
  document.querySelectorAll('[data-testid="status-tracker"], .sr-only[role="status"]').forEach(progress);
  document.querySelectorAll('.upload-container[aria-label]').forEach((zone) => zone.removeAttribute('aria-label'));
  document.querySelectorAll('span.toast-title').forEach((span) => {
    const text = span.firstChild;
    if (text && text.nodeType === Node.TEXT_NODE && TITLES[text.data.trim()]) text.data = TITLES[text.data.trim()] + ' ';
  });
  document.querySelectorAll('button[data-testid="toast-close"][aria-label="Close"]').forEach((b) => b.setAttribute('aria-label', '关闭'));
  // The chat scrolls once it is long: a keyboard user must be able to reach it (WCAG 2.1.1).
  document.querySelectorAll('.bubble-wrap:not([tabindex])').forEach((wrap) => {
    wrap.setAttribute('tabindex', '0');
    wrap.setAttribute('aria-label', '对话记录');
  });
  document.querySelectorAll('[data-testid="toast-text"]').forEach((box) => {
    const big = box.textContent.trim().match(TOO_BIG);
    if (big) box.textContent = `文件 ${big[2].replace(/"/g, '')} 超过 ${parseFloat(big[1])} MB 的上传上限，没有上传。`;
  });
};
new MutationObserver(chinese).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
