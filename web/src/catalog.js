// What the shop makes, as the page's server put it in the page (names in its language).
export const catalog = JSON.parse(document.getElementById("catalog-data").textContent);
export const processes = new Map(catalog.processes.map((process) => [process.id, process]));
