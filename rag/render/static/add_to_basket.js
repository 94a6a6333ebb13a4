// gr.HTML js_on_load of the source cards and the overview: one delegated listener on the component's
// element, which outlives every re-render of its content. A button sends only its data-basket key;
// the text of a quote never travels from the browser to the server.
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.rag-add');
  if (!button || !element.contains(button)) return;
  trigger('click', {basket: button.dataset.basket});
  button.textContent = '已加入';
  button.disabled = true;
});
