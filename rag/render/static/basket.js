// gr.HTML js_on_load of the basket: a button or a note box sends its action, the item's key and the
// note, never the quote's text.
const send = (action, item) => {
  const note = item.querySelector('textarea.rag-note');
  trigger('click', {action: action, key: item.dataset.key, note: note ? note.value : ''});
};
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  const item = button && button.closest('li.rag-item');
  if (item && element.contains(item)) send(button.dataset.action, item);
});
element.addEventListener('change', (event) => {
  const item = event.target.matches('textarea.rag-note') && event.target.closest('li.rag-item');
  if (item) send('note', item);
});
// Re-rendering patches the list in place, item by item; a note box the user typed in keeps its
// typed text unless reset to the note the server now holds for that position.
watch('value', () => element.querySelectorAll('textarea.rag-note').forEach((box) => { box.value = box.defaultValue; }));
