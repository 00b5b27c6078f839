// DOM builders. Everything from the API is inserted as text, except the two highlight fields
// (`highlights.name`, `highlights.description`), which the server HTML-escapes and marks with
// `<mark>`: only those go in as HTML.

import { FACETS } from "./api.js";
import { LOCALES, words } from "./i18n.js";

const FACET_ROWS = 8; // values shown per facet before "Show all"
const TRUST_ORDER = ["registry-verified", "cluster-verified", "document", "self-declared"];
// The designation that starts a standard's name ("EN 9100 Quality management..." -> "EN 9100").
const DESIGNATION = /^(?:EN|ISO|AS|AQAP) \d+|^EASA Part \d+(?: Subpart \w)?/;

/** An element: `h("a", {href: "/"}, "text", child)`; attributes `null`/`false` are left out. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

/** An element whose content is server-made highlight HTML (escaped text and `<mark>`). */
function marked(tag, attributes, html) {
  const element = h(tag, attributes);
  element.innerHTML = html;
  return element;
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

/** The short name of a standard: its designation if it has one ("EN 9100"). */
export function designation(name) {
  return name.match(DESIGNATION)?.[0] ?? name;
}

/** `active`, or why a certificate does not count today (`expired`, `suspended`, ...). */
export function certificateState(certificate) {
  if (certificate.status !== "active") return certificate.status;
  if (certificate.expires_on && certificate.expires_on < today()) return "expired";
  return "active";
}

/** A trust badge for one certificate: standard name and verification level. */
function badge(certificate, label, w) {
  const state = certificateState(certificate);
  const trust = w.trust[certificate.verification] || certificate.verification;
  const name = label("certification", certificate.standard);
  return h(
    "li",
    {
      class: `badge trust-${certificate.verification}${state === "active" ? "" : " lapsed"}`,
      title: state === "active" ? `${name} · ${trust}` : `${name} · ${trust} · ${w.status[state] || state}`,
    },
    h("span", { class: "std" }, designation(name)),
    " ",
    h("span", { class: "trust" }, trust),
  );
}

/** The certificates that count today, most trusted first. */
function currentCertificates(certifications) {
  return certifications
    .filter((c) => certificateState(c) === "active")
    .sort((a, b) => TRUST_ORDER.indexOf(a.verification) - TRUST_ORDER.indexOf(b.verification));
}

function place(address) {
  const where = [address?.city, address?.province && `(${address.province})`].filter(Boolean);
  return where.join(" ");
}

/** One search result: a link to the supplier, where, how far, what it does, its badges. */
export function resultItem(item, { href, label, lang }) {
  const w = words(lang);
  const name = item.highlights?.name
    ? marked("a", { href, class: "name", "data-id": item.id }, item.highlights.name)
    : h("a", { href, class: "name", "data-id": item.id }, item.name);
  const facts = [
    place(item.address),
    item.distance_km !== null && item.distance_km !== undefined ? w.km(item.distance_km) : null,
    item.size_class ? label("size_class", item.size_class) : null,
    item.tier ? label("tier", item.tier) : null,
  ].filter(Boolean);
  const description = item.highlights?.description
    ? marked("p", { class: "description" }, item.highlights.description)
    : h("p", { class: "description" }, shorten(item.description, 220));
  return h(
    "li",
    { class: "result" },
    h("h3", {}, name),
    h("p", { class: "facts" }, facts.join(" · ")),
    description,
    h(
      "ul",
      { class: "tags", "aria-label": w.capabilities },
      item.capabilities.slice(0, 6).map((code) => h("li", {}, label("capability", code))),
    ),
    h(
      "ul",
      { class: "badges", "aria-label": w.certifications },
      currentCertificates(item.certifications).map((c) => badge(c, label, w)),
    ),
  );
}

function shorten(text, length) {
  if (!text || text.length <= length) return text || "";
  const cut = text.slice(0, length);
  return `${cut.slice(0, cut.lastIndexOf(" ") > 0 ? cut.lastIndexOf(" ") : length)}…`;
}

/** The facet checkboxes: one fieldset per facet, values with labels and counts. */
export function facetGroups(facets, state, { label, lang, expanded, onToggle, onExpand }) {
  const w = words(lang);
  return FACETS.filter((facet) => facets[facet]).map((facet) => {
    const counts = new Map(Object.entries(facets[facet]));
    for (const chosen of state.filters[facet]) if (!counts.has(chosen)) counts.set(chosen, 0);
    const rows = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const open = expanded.has(facet);
    const shown = rows.filter(
      ([code], index) => open || index < FACET_ROWS || state.filters[facet].includes(code),
    );
    return h(
      "fieldset",
      { class: "facet", "data-facet": facet },
      h("legend", {}, w.facet[facet]),
      h(
        "ul",
        {},
        shown.map(([code, count]) =>
          h(
            "li",
            {},
            h(
              "label",
              {},
              h("input", {
                type: "checkbox",
                name: facet,
                value: code,
                checked: state.filters[facet].includes(code),
                onchange: () => onToggle(facet, code),
              }),
              h("span", { class: "label" }, label(facet, code)),
              " ",
              h("span", { class: "count" }, count.toLocaleString(lang)),
            ),
          ),
        ),
      ),
      rows.length > FACET_ROWS
        ? h(
            "button",
            { type: "button", class: "link", "aria-expanded": String(open), onclick: () => onExpand(facet) },
            open ? w.showFewer : `${w.showAll} (${rows.length})`,
          )
        : null,
    );
  });
}

/** Removable chips for the chosen filters, then "Clear all". */
export function chips(state, { label, lang, cityName, onRemove, onClear }) {
  const w = words(lang);
  const chosen = FACETS.flatMap((facet) =>
    state.filters[facet].map((code) => {
      const text = label(facet, code);
      return { facet, code, text: facet === "certification" ? designation(text) : text };
    }),
  );
  if (state.near) chosen.push({ facet: "near", code: state.near, text: `${w.near} ${cityName(state.near)}` });
  if (!chosen.length) return [];
  return [
    ...chosen.map(({ facet, code, text }) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "chip",
            "aria-label": `${w.remove}: ${text}`,
            onclick: () => onRemove(facet, code),
          },
          text,
          h("span", { "aria-hidden": "true" }, " ×"),
        ),
      ),
    ),
    h("li", {}, h("button", { type: "button", class: "link", onclick: onClear }, w.clearAll)),
  ];
}

/** The suggestion options under the search box. */
export function suggestionOptions(items, lang) {
  const w = words(lang);
  return items.map((item, index) =>
    h(
      "li",
      {
        role: "option",
        id: `suggestion-${index}`,
        "data-index": index,
        "aria-selected": "false",
        class: item.corrected ? "corrected" : null,
      },
      h("span", { class: "text" }, item.text),
      " ",
      h("span", { class: "kind" }, w.kind[item.kind] || item.kind),
      item.count !== null ? [" ", h("span", { class: "count" }, item.count.toLocaleString(lang))] : null,
    ),
  );
}

function row(term, ...value) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

/** A supplier's page: everything public about it. */
export function detail(supplier, { backHref, label, lang }) {
  const w = words(lang);
  const address = supplier.address || {};
  const street = [
    address.street,
    [address.postal_code, address.city].filter(Boolean).join(" "),
    address.province,
  ]
    .filter(Boolean)
    .join(", ");
  const website = /^https?:\/\//i.test(supplier.website || "")
    ? h("a", { href: supplier.website, rel: "noopener noreferrer", target: "_blank" }, supplier.website)
    : supplier.website;
  const facts = [
    supplier.legal_name ? row(w.legalName, supplier.legal_name) : null,
    row(w.vat, supplier.vat_number),
    street ? row(w.address, street) : null,
    website ? row(w.website, website) : null,
    supplier.employees !== null ? row(w.employees, supplier.employees.toLocaleString(lang)) : null,
    supplier.size_class ? row(w.facet.size_class, label("size_class", supplier.size_class)) : null,
    supplier.tier ? row(w.facet.tier, label("tier", supplier.tier)) : null,
    row(w.supplyChains, supplier.supply_chains.map((c) => label("supply_chain", c)).join(", ") || w.none),
    supplier.programs.length ? row(w.programs, supplier.programs.join(", ")) : null,
    row(w.updated, new Date(supplier.updated_at).toLocaleDateString(LOCALES[lang], { dateStyle: "medium" })),
  ];
  const contact = supplier.contact
    ? [
        h("h3", {}, w.contact),
        h(
          "p",
          {},
          [supplier.contact.name, supplier.contact.email, supplier.contact.phone].filter(Boolean).join(" · "),
        ),
      ]
    : [];
  return [
    h("p", {}, h("a", { href: backHref, class: "back" }, `← ${w.back}`)),
    h("h2", { id: "detail-name" }, supplier.name),
    supplier.verified ? h("p", { class: "verified" }, `✓ ${w.verifiedSupplier}`) : null,
    h("p", { class: "description" }, supplier.description),
    h("dl", { class: "facts" }, facts.filter(Boolean)),
    h("h3", {}, w.capabilities),
    h(
      "ul",
      { class: "tags" },
      supplier.capabilities.map((code) => h("li", {}, label("capability", code))),
    ),
    h("h3", {}, w.certifications),
    supplier.certifications.length
      ? certificateTable(supplier.certifications, { label, lang })
      : h("p", {}, w.none),
    ...contact,
  ];
}

function certificateTable(certifications, { label, lang }) {
  const w = words(lang);
  const date = (value) =>
    value
      ? new Date(`${value}T00:00:00Z`).toLocaleDateString(LOCALES[lang], {
          dateStyle: "medium",
          timeZone: "UTC",
        })
      : "—";
  return h(
    "table",
    { class: "certificates" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [w.standard, w.number, w.issuer, w.validUntil, w.state, w.trustLevel].map((t) =>
          h("th", { scope: "col" }, t),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      certifications.map((c) => {
        const state = certificateState(c);
        return h(
          "tr",
          { class: state === "active" ? null : "lapsed" },
          h("td", {}, label("certification", c.standard)),
          h("td", {}, c.certificate_number || "—"),
          h("td", {}, c.issuer || "—"),
          h("td", {}, date(c.expires_on)),
          h("td", {}, w.status[state] || state),
          h(
            "td",
            {},
            h("span", { class: `badge trust-${c.verification}` }, w.trust[c.verification] || c.verification),
          ),
        );
      }),
    ),
  );
}
