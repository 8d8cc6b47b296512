// Small DOM helpers shared by the demo's modules.

export const $ = (sel) => document.querySelector(sel);

/** Creates `tag` with `props` (and `dataset` entries) holding `children`. */
export const el = (tag, { dataset, ...props } = {}, ...children) => {
  // `dataset` is a read-only property: its entries are copied one by one.
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};
