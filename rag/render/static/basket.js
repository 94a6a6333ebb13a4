// gr.HTML js_on_load of the basket: a button, a box or a menu sends its action and the entry's key, with
// the note or the writer's own text typed there, never the text of a quote.
const send = (action, item, extra) => {
  const note = item.querySelector('textarea.rag-note');
  const own = item.querySelector('textarea.rag-edit');
  trigger('click', {action: action, key: item.dataset.key, note: note ? note.value : '', text: own ? own.value : '', ...extra});
};
element.addEventListener('click', (event) => {
  const copy = event.target.closest('button.rag-copy-all');
  if (copy && element.contains(copy)) {  // 复制全文: the draft as plain text, rendered by the server into data-copy
    navigator.clipboard.writeText(copy.dataset.copy).then(() => { copy.textContent = '已复制'; }, () => { copy.textContent = '复制失败'; });
    return;
  }
  const button = event.target.closest('button[data-action]');
  const item = button && button.closest('li.rag-item');
  if (item && element.contains(item)) send(button.dataset.action, item);
});
element.addEventListener('change', (event) => {
  const item = event.target.closest('li.rag-item');
  if (!item || !element.contains(item)) return;
  if (event.target.matches('textarea.rag-note')) send('note', item);
  else if (event.target.matches('textarea.rag-edit')) send('edit', item);
  else if (event.target.matches('select.rag-move') && event.target.value) send('to', item, {to: event.target.value});
});
// Re-rendering patches the list in place, entry by entry; a box the user typed in keeps its typed text
// unless reset to the text the server now holds for that position, and a menu goes back to "移到…".
watch('value', () => {
  element.querySelectorAll('textarea.rag-note, textarea.rag-edit').forEach((box) => { box.value = box.defaultValue; });
  element.querySelectorAll('select.rag-move').forEach((menu) => { menu.selectedIndex = 0; });
});
