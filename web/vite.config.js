// The shop pages' assets: every file named with its content hash, listed in manifest.json,
// which the shop reads to link them (fabrika/shop/assets.py). Served from /assets/.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { defineConfig } from "vite";

const require = createRequire(import.meta.url);

// Swagger UI's own files, as its package ships them, for the shop's /docs: emitted here so
// they get hashed names and manifest entries like everything else.
const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css"];

function swaggerUi() {
  return {
    name: "fabrika-swagger-ui",
    generateBundle() {
      for (const name of SWAGGER_FILES) {
        const path = require.resolve(`swagger-ui-dist/${name}`);
        this.emitFile({ type: "asset", name, originalFileName: `swagger-ui/${name}`, source: readFileSync(path) });
      }
    },
  };
}

export default defineConfig({
  base: "/assets/",
  publicDir: false,
  plugins: [swaggerUi()],
  build: {
    outDir: "../src/fabrika/static",
    emptyOutDir: true,
    assetsDir: "",
    manifest: "manifest.json",
    target: "es2022",
    // three.js is most of the viewer's chunk, which only pages showing a model load.
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      input: {
        shop: "src/shop.css",
        quote: "src/quote-page.js",
        order: "src/order-page.js",
      },
    },
  },
  worker: { format: "es" },
});
