// Precompresses the built assets once, at build time, at the highest levels: the shop
// serves file.br or file.gz beside each file to clients that accept them
// (fabrika/shop/assets.py), so no request pays for compressing.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const OUT = "../src/fabrika/static";
const COMPRESSIBLE = /\.(js|css|svg|json)$/;

for (const name of readdirSync(OUT)) {
  if (!COMPRESSIBLE.test(name)) continue;
  const data = readFileSync(join(OUT, name));
  const brotli = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  writeFileSync(join(OUT, `${name}.br`), brotli);
  writeFileSync(join(OUT, `${name}.gz`), gzipSync(data, { level: 9 }));
}
