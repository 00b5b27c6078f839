// What the page shows, kept in the address bar: `/?q=...&capability=...&supplier=12&lang=it`.
// The search parameters are the API's own (`GET /api/v1/suppliers`), so a shared link is
// also a readable query.

import { FACETS } from "./api.js";

export const SORTS = ["", "name", "-updated_at", "distance"];

/** The page state in `search` (a query string). */
export function readState(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const facet of FACETS) {
    filters[facet] = unique(
      params
        .getAll(facet)
        .flatMap((v) => v.split(","))
        .filter(Boolean),
    );
  }
  const near = params.get("near") || "";
  const sort = params.get("sort") || "";
  return {
    q: (params.get("q") || "").trim(),
    filters,
    near,
    radius_km: near ? params.get("radius_km") || "" : "",
    sort: SORTS.includes(sort) ? sort : "",
    lang: params.get("lang") || "",
    supplier: /^\d+$/.test(params.get("supplier") || "") ? params.get("supplier") : "",
  };
}

/** The parameters of `GET /suppliers` for `state` (no paging, no facets). */
export function searchParams(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const facet of FACETS) {
    for (const value of state.filters[facet]) params.append(facet, value);
  }
  if (state.near) {
    params.set("near", state.near);
    if (state.radius_km) params.set("radius_km", state.radius_km);
  }
  const sort = state.sort === "distance" && !state.near ? "" : state.sort;
  if (sort) params.set("sort", sort);
  return params;
}

/** The page address for `state`. */
export function urlFor(state) {
  const params = searchParams(state);
  if (state.lang) params.set("lang", state.lang);
  if (state.supplier) params.set("supplier", state.supplier);
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

/** A copy of `state` changed by `change` (an object of fields). */
export function withChange(state, change) {
  const filters = Object.fromEntries(FACETS.map((f) => [f, [...state.filters[f]]]));
  return { ...state, filters, ...change };
}

/** `state` with `value` added to or removed from the filter `facet`. */
export function toggled(state, facet, value) {
  const next = withChange(state, { supplier: "" });
  const values = next.filters[facet];
  next.filters[facet] = values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
  return next;
}

function unique(values) {
  return [...new Set(values)];
}
