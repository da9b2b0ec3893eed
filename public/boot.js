// Starts the app: loads this build's wasm-bindgen module and its wasm. A file
// of its own (not an inline script) so the Content-Security-Policy can forbid
// inline script altogether; the build id comes from index.html's meta tag.
const build = document.querySelector('meta[name="showroom-build"]')?.content;
const { default: init } = await import(`/assets/${build}/showroom.js`);
await init({ module_or_path: `/assets/${build}/showroom_bg.wasm` });
