// The buyer search page: reads the search from the address bar, asks the API, shows the
// answer; every change of the search is a new address (shareable, reloadable, Back works).

import { loadCatalogue, searchSuppliers, suggest, supplier as fetchSupplier } from "./api.js";
import { LANGUAGES, browserLanguage, labeller, words } from "./i18n.js";
import { chips, detail, facetGroups, h, resultItem, suggestionOptions } from "./render.js";
import { readState, searchParams, toggled, urlFor, withChange } from "./state.js";

// "Near": a few places of the cluster (latitude,longitude as the API's `near` takes them).
const CITIES = [
  ["45.4642,9.19", "Milano"],
  ["45.8206,8.8251", "Varese"],
  ["45.6983,9.6773", "Bergamo"],
  ["45.5416,10.2118", "Brescia"],
  ["45.8081,9.0852", "Como"],
  ["45.5845,9.2744", "Monza"],
  ["45.1847,9.1582", "Pavia"],
  ["45.0703,7.6869", "Torino"],
];
const RADII = ["", "10", "25", "50", "100"];

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("search"),
  q: $("q"),
  suggestions: $("suggestions"),
  error: $("error"),
  resultsView: $("results-view"),
  summary: $("summary"),
  sort: $("sort"),
  near: $("near"),
  radius: $("radius"),
  facets: $("facet-groups"),
  chips: $("chips"),
  results: $("results"),
  more: $("more"),
  detail: $("detail"),
};

let state = readState(location.search);
let lang = LANGUAGES.includes(state.lang) ? state.lang : browserLanguage();
let catalogue = null; // labels, once loaded
let shown = null; // the search on screen: {key, total, facets, items, cursor}
let record = null; // the supplier on screen
const expanded = new Set(); // facets showing all their values
let searching = 0; // the latest search asked (older answers are dropped)
let refocus = null; // the checkbox just ticked, focused again once the facets are redrawn

const label = (facet, code) => labeller(catalogue, lang)(facet, code);
const cityName = (near) => CITIES.find(([coords]) => coords === near)?.[1] ?? near;

/** Go to `next` (a state): new address, then show it. */
function navigate(next, { replace = false } = {}) {
  state = next;
  const url = urlFor(state);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  show();
}

function showError(error) {
  if (error?.name === "AbortError") return;
  ui.error.textContent = error ? error.message : "";
  ui.error.hidden = !error;
}

/** Show what the address says: a supplier, or the search results. */
function show() {
  applyWords();
  if (document.activeElement !== ui.q) ui.q.value = state.q;
  if (state.supplier) {
    ui.resultsView.hidden = true;
    ui.detail.hidden = false;
    showSupplier();
    return;
  }
  ui.detail.hidden = true;
  ui.resultsView.hidden = false;
  const key = searchParams(state).toString();
  if (shown?.key === key) renderResults();
  else runSearch(key);
}

async function runSearch(key) {
  const asked = ++searching;
  ui.summary.textContent = words(lang).loading;
  ui.results.setAttribute("aria-busy", "true");
  try {
    const page = await searchSuppliers(searchParams(state), { lang });
    if (asked !== searching) return;
    shown = { key, total: page.total, facets: page.facets, items: page.items, cursor: page.next_cursor };
    showError(null);
    renderResults();
  } catch (error) {
    if (asked === searching) {
      showError(error);
      ui.summary.textContent = "";
    }
  } finally {
    if (asked === searching) ui.results.removeAttribute("aria-busy");
  }
}

function supplierHref(id) {
  return urlFor(withChange(state, { supplier: String(id) }));
}

function renderResults() {
  if (!shown) return;
  const w = words(lang);
  ui.summary.textContent = shown.total ? w.results(shown.total) : w.noResults;
  ui.chips.replaceChildren(
    ...chips(state, {
      label,
      lang,
      cityName,
      onRemove: (facet, code) =>
        navigate(
          facet === "near" ? withChange(state, { near: "", radius_km: "" }) : toggled(state, facet, code),
        ),
      onClear: () =>
        navigate(withChange(state, { supplier: "", near: "", radius_km: "", filters: emptyFilters() })),
    }),
  );
  ui.facets.replaceChildren(
    ...facetGroups(shown.facets, state, {
      label,
      lang,
      expanded,
      onToggle: (facet, code) => {
        refocus = { facet, code };
        navigate(toggled(state, facet, code));
      },
      onExpand: (facet) => {
        if (expanded.has(facet)) expanded.delete(facet);
        else expanded.add(facet);
        renderResults();
        ui.facets.querySelector(`[data-facet="${facet}"] button.link`)?.focus();
      },
    }),
  );
  if (refocus) {
    const { facet, code } = refocus;
    refocus = null;
    ui.facets.querySelector(`input[name="${facet}"][value="${CSS.escape(code)}"]`)?.focus();
  }
  ui.results.replaceChildren(
    ...shown.items.map((item) => resultItem(item, { href: supplierHref(item.id), label, lang })),
  );
  ui.more.hidden = !shown.cursor;
}

function emptyFilters() {
  return Object.fromEntries(Object.keys(state.filters).map((facet) => [facet, []]));
}

/** "More results": the next page by cursor, added under the others. */
async function more() {
  if (!shown?.cursor) return;
  const page = shown;
  ui.more.disabled = true;
  try {
    const next = await searchSuppliers(searchParams(state), { cursor: page.cursor, lang });
    if (shown !== page) return;
    page.items.push(...next.items);
    page.cursor = next.next_cursor;
    const added = next.items.map((item) => resultItem(item, { href: supplierHref(item.id), label, lang }));
    ui.results.append(...added);
    ui.more.hidden = !page.cursor;
    added[0]?.querySelector("a")?.focus();
    showError(null);
  } catch (error) {
    showError(error);
  } finally {
    ui.more.disabled = false;
  }
}

async function showSupplier() {
  const id = state.supplier;
  const back = urlFor(withChange(state, { supplier: "" }));
  if (record?.id !== Number(id)) {
    ui.detail.replaceChildren(h("p", {}, words(lang).loading));
    try {
      record = await fetchSupplier(id, { lang });
      showError(null);
    } catch (error) {
      showError(error);
      ui.detail.replaceChildren(h("p", {}, h("a", { href: back, class: "back" }, `← ${words(lang).back}`)));
      return;
    }
    if (state.supplier !== id) return;
    ui.detail.replaceChildren(...detail(record, { backHref: back, label, lang }));
    ui.detail.focus();
  } else {
    ui.detail.replaceChildren(...detail(record, { backHref: back, label, lang }));
  }
  document.title = `${record.name} · ${words(lang).title}`;
}

// ------------------------------------------------------------------ words and controls

function applyWords() {
  const w = words(lang);
  document.documentElement.lang = lang;
  for (const element of document.querySelectorAll("[data-i18n]"))
    element.textContent = w[element.dataset.i18n];
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = w[element.dataset.i18nPlaceholder];
  }
  for (const element of document.querySelectorAll("[data-i18n-aria]")) {
    element.setAttribute("aria-label", w[element.dataset.i18nAria]);
  }
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }
  $("home").href = urlFor(readState(state.lang ? `lang=${state.lang}` : ""));
  document.title = state.q ? `${state.q} · ${w.title}` : w.title;

  const option = (value, text, selected) => h("option", { value, selected: value === selected }, text);
  const sorts = [
    ["", state.q ? w.sortDefault : w.sortName],
    state.q ? ["name", w.sortName] : null,
    ["-updated_at", w.sortUpdated],
    state.near ? ["distance", w.sortDistance] : null,
  ].filter(Boolean);
  ui.sort.replaceChildren(...sorts.map(([value, text]) => option(value, text, state.sort)));
  const cities = [["", w.anywhere], ...CITIES];
  if (state.near && !CITIES.some(([coords]) => coords === state.near)) cities.push([state.near, state.near]);
  ui.near.replaceChildren(...cities.map(([value, text]) => option(value, text, state.near)));
  ui.radius.replaceChildren(
    ...RADII.map((value) => option(value, value ? w.km(Number(value)) : w.anyDistance, state.radius_km)),
  );
  ui.radius.disabled = !state.near;
}

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  closeSuggestions();
  navigate(withChange(state, { q: ui.q.value.trim(), supplier: "" }));
});
ui.sort.addEventListener("change", () => navigate(withChange(state, { sort: ui.sort.value, supplier: "" })));
ui.near.addEventListener("change", () => {
  const near = ui.near.value;
  navigate(
    withChange(state, {
      near,
      radius_km: near ? state.radius_km : "",
      sort: near ? "distance" : state.sort === "distance" ? "" : state.sort,
      supplier: "",
    }),
  );
});
ui.radius.addEventListener("change", () =>
  navigate(withChange(state, { radius_km: ui.radius.value, supplier: "" })),
);
ui.more.addEventListener("click", more);

for (const button of document.querySelectorAll("[data-lang]")) {
  button.addEventListener("click", () => {
    lang = button.dataset.lang;
    navigate(withChange(state, { lang }), { replace: true });
  });
}

// Links inside the page (results, "back", home) change the address without a reload.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.target) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || url.pathname !== "/") return;
  event.preventDefault();
  navigate(readState(url.search));
});

window.addEventListener("popstate", () => {
  state = readState(location.search);
  if (LANGUAGES.includes(state.lang)) lang = state.lang;
  show();
});

// ------------------------------------------------------------------ suggestions as you type

let suggested = []; // the items listed
let active = -1; // the option chosen with the arrow keys
let typing = null; // debounce timer
let asking = null; // AbortController of the pending suggest request

function closeSuggestions() {
  clearTimeout(typing);
  asking?.abort();
  suggested = [];
  active = -1;
  ui.suggestions.hidden = true;
  ui.suggestions.replaceChildren();
  ui.q.setAttribute("aria-expanded", "false");
  ui.q.removeAttribute("aria-activedescendant");
}

function setActive(index) {
  active = index;
  for (const option of ui.suggestions.children) {
    option.setAttribute("aria-selected", String(Number(option.dataset.index) === index));
  }
  if (index >= 0) ui.q.setAttribute("aria-activedescendant", `suggestion-${index}`);
  else ui.q.removeAttribute("aria-activedescendant");
}

async function askSuggestions() {
  const text = ui.q.value.trim();
  asking?.abort();
  if (!text) return closeSuggestions();
  asking = new AbortController();
  try {
    const answer = await suggest(text.slice(0, 100), { lang, signal: asking.signal });
    if (ui.q.value.trim() !== text || document.activeElement !== ui.q) return;
    suggested = answer.items;
    active = -1;
    ui.suggestions.replaceChildren(...suggestionOptions(suggested, lang));
    ui.suggestions.hidden = !suggested.length;
    ui.q.setAttribute("aria-expanded", String(suggested.length > 0));
  } catch (error) {
    if (error.name !== "AbortError") closeSuggestions();
  }
}

/** What a chosen suggestion does: open the company, filter by the code, or search the tag. */
function choose(item) {
  closeSuggestions();
  const add = (facet) => {
    const next = withChange(state, { q: "", supplier: "" });
    if (!next.filters[facet].includes(item.value)) next.filters[facet].push(item.value);
    ui.q.value = "";
    return next;
  };
  if (item.kind === "supplier") navigate(withChange(state, { supplier: item.value }));
  else if (item.kind === "capability") navigate(add("capability"));
  else if (item.kind === "standard") navigate(add("certification"));
  else {
    ui.q.value = item.value;
    navigate(withChange(state, { q: item.value, supplier: "" }));
  }
}

ui.q.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(askSuggestions, 150);
});
ui.q.addEventListener("keydown", (event) => {
  if (event.key === "ArrowDown" && suggested.length) {
    event.preventDefault();
    setActive((active + 1) % suggested.length);
  } else if (event.key === "ArrowUp" && suggested.length) {
    event.preventDefault();
    setActive(active <= 0 ? suggested.length - 1 : active - 1);
  } else if (event.key === "Enter" && active >= 0) {
    event.preventDefault();
    choose(suggested[active]);
  } else if (event.key === "Escape" && !ui.suggestions.hidden) {
    event.preventDefault(); // close the list, keep the words (a second Escape clears them)
    closeSuggestions();
  }
});
ui.q.addEventListener("blur", () => setTimeout(closeSuggestions, 150));
ui.suggestions.addEventListener("pointerdown", (event) => event.preventDefault()); // keep focus
ui.suggestions.addEventListener("click", (event) => {
  const option = event.target.closest("[role=option]");
  if (option) choose(suggested[Number(option.dataset.index)]);
});

// ------------------------------------------------------------------ start

loadCatalogue()
  .then((loaded) => {
    catalogue = loaded;
    if (state.supplier && record)
      ui.detail.replaceChildren(
        ...detail(record, { backHref: urlFor(withChange(state, { supplier: "" })), label, lang }),
      );
    else renderResults();
  })
  .catch(showError);
show();
