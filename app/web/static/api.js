// The few API calls the page makes, anonymous (no key): what any visitor may read.

const BASE = "/api/v1";
export const FACETS = ["supply_chain", "certification", "capability", "province", "size_class", "tier"];
export const PAGE_SIZE = 20;

/** GET `path` as JSON; a problem answer becomes an Error carrying its `detail`. */
async function get(path, params, { lang, signal } = {}) {
  const query = params ? `?${params}` : "";
  const response = await fetch(`${BASE}${path}${query}`, {
    headers: { Accept: "application/json", "Accept-Language": lang || "en" },
    signal,
  });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(detail);
  }
  return response.json();
}

/** The three catalogues that label codes: supply chains, capabilities, standards. */
export async function loadCatalogue() {
  const [chains, capabilities, standards] = await Promise.all([
    get("/supply-chains"),
    get("/capabilities"),
    get("/certification-standards"),
  ]);
  return { chains, capabilities, standards };
}

/** One page of `GET /suppliers` for the search parameters `params` (URLSearchParams). */
export function searchSuppliers(params, { cursor, lang, signal } = {}) {
  const query = new URLSearchParams(params);
  query.set("limit", String(PAGE_SIZE));
  if (cursor) {
    query.set("cursor", cursor);
  } else {
    query.set("facets", FACETS.join(","));
  }
  return get("/suppliers", query, { lang, signal });
}

/** Completions of what is typed so far (`GET /suggest`). */
export function suggest(text, { lang, signal }) {
  const query = new URLSearchParams({ q: text, limit: "8", lang });
  return get("/suggest", query, { lang, signal });
}

/** One supplier's public record. */
export function supplier(id, { lang, signal } = {}) {
  return get(`/suppliers/${encodeURIComponent(id)}`, null, { lang, signal });
}
