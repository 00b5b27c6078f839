// The page's own words in English and Italian, and labels for the codes the API returns.
// Catalogue labels (chains, capabilities, standards) come from the catalogue endpoints.

export const LANGUAGES = ["en", "it"];
export const LOCALES = { en: "en-GB", it: "it-IT" }; // dates: 8 Dec 2024, 8 dic 2024

const WORDS = {
  en: {
    title: "Aerospace supplier search",
    api: "API docs",
    searchLabel: "Search suppliers",
    placeholder: "Capability, company, standard, program…",
    search: "Search",
    suggestions: "Suggestions",
    filters: "Filters",
    chosen: "Chosen filters",
    near: "Near",
    city: "City",
    radius: "Within",
    anywhere: "anywhere",
    anyDistance: "any distance",
    sort: "Sort by",
    sortDefault: "best match",
    sortName: "name",
    sortUpdated: "recently updated",
    sortDistance: "distance",
    more: "More results",
    showAll: "Show all",
    showFewer: "Show fewer",
    clearAll: "Clear all",
    remove: "Remove filter",
    loading: "Searching…",
    results: (n) => (n === 1 ? "1 supplier" : `${n.toLocaleString("en")} suppliers`),
    noResults: "No supplier matches: remove a filter or change the words.",
    back: "Back to the results",
    facet: {
      supply_chain: "Supply chain",
      capability: "Capability",
      certification: "Valid certification",
      province: "Province",
      size_class: "Company size",
      tier: "Tier",
    },
    kind: { supplier: "company", capability: "capability", standard: "standard", program: "program" },
    size_class: { micro: "Micro", small: "Small", medium: "Medium", large: "Large" },
    tier: { oem: "OEM", tier1: "Tier 1", tier2: "Tier 2", tier3: "Tier 3" },
    trust: {
      "self-declared": "self-declared",
      document: "document checked",
      "cluster-verified": "verified by the cluster",
      "registry-verified": "verified in the registry",
    },
    status: { active: "active", suspended: "suspended", withdrawn: "withdrawn", expired: "expired" },
    km: (d) => `${d.toLocaleString("en", { maximumFractionDigits: 1 })} km`,
    employees: "Employees",
    revenue: "Annual revenue",
    address: "Address",
    website: "Website",
    vat: "VAT number",
    legalName: "Legal name",
    programs: "Programs",
    capabilities: "Capabilities",
    certifications: "Certifications",
    supplyChains: "Supply chains",
    contact: "Contact",
    verifiedSupplier: "Profile checked by the cluster",
    updated: "Updated",
    standard: "Standard",
    number: "Number",
    issuer: "Issuer",
    validUntil: "Valid until",
    state: "Status",
    trustLevel: "Trust",
    none: "none",
  },
  it: {
    title: "Ricerca fornitori aerospaziali",
    api: "Documentazione API",
    searchLabel: "Cerca fornitori",
    placeholder: "Lavorazione, azienda, norma, programma…",
    search: "Cerca",
    suggestions: "Suggerimenti",
    filters: "Filtri",
    chosen: "Filtri scelti",
    near: "Vicino a",
    city: "Città",
    radius: "Entro",
    anywhere: "ovunque",
    anyDistance: "qualsiasi distanza",
    sort: "Ordina per",
    sortDefault: "pertinenza",
    sortName: "nome",
    sortUpdated: "aggiornati di recente",
    sortDistance: "distanza",
    more: "Altri risultati",
    showAll: "Mostra tutti",
    showFewer: "Mostra meno",
    clearAll: "Togli tutti",
    remove: "Togli il filtro",
    loading: "Ricerca in corso…",
    results: (n) => (n === 1 ? "1 fornitore" : `${n.toLocaleString("it")} fornitori`),
    noResults: "Nessun fornitore corrisponde: togli un filtro o cambia le parole.",
    back: "Torna ai risultati",
    facet: {
      supply_chain: "Filiera",
      capability: "Competenza",
      certification: "Certificazione valida",
      province: "Provincia",
      size_class: "Dimensione",
      tier: "Livello di fornitura",
    },
    kind: { supplier: "azienda", capability: "competenza", standard: "norma", program: "programma" },
    size_class: { micro: "Micro", small: "Piccola", medium: "Media", large: "Grande" },
    tier: { oem: "OEM", tier1: "Tier 1", tier2: "Tier 2", tier3: "Tier 3" },
    trust: {
      "self-declared": "autodichiarato",
      document: "documento controllato",
      "cluster-verified": "verificato dal cluster",
      "registry-verified": "verificato nel registro",
    },
    status: { active: "attivo", suspended: "sospeso", withdrawn: "revocato", expired: "scaduto" },
    km: (d) => `${d.toLocaleString("it", { maximumFractionDigits: 1 })} km`,
    employees: "Dipendenti",
    revenue: "Fatturato annuo",
    address: "Indirizzo",
    website: "Sito web",
    vat: "Partita IVA",
    legalName: "Ragione sociale",
    programs: "Programmi",
    capabilities: "Competenze",
    certifications: "Certificazioni",
    supplyChains: "Filiere",
    contact: "Contatto",
    verifiedSupplier: "Profilo verificato dal cluster",
    updated: "Aggiornato",
    standard: "Norma",
    number: "Numero",
    issuer: "Ente",
    validUntil: "Valido fino al",
    state: "Stato",
    trustLevel: "Affidabilità",
    none: "nessuna",
  },
};

/** The page's words in `lang`. */
export function words(lang) {
  return WORDS[lang] || WORDS.en;
}

/** The language to start in: the browser's, if Italian, else English. */
export function browserLanguage() {
  return (navigator.language || "en").toLowerCase().startsWith("it") ? "it" : "en";
}

/** Labels of every code by facet name, in `lang`, from the catalogues (`null`: not loaded). */
export function labeller(catalogue, lang) {
  const w = words(lang);
  const byCode = (rows, name) => new Map((rows || []).map((row) => [row.code, name(row)]));
  const tables = {
    supply_chain: byCode(catalogue?.chains, (c) => (lang === "it" ? c.name_it : c.name_en)),
    capability: byCode(catalogue?.capabilities, (c) => (lang === "it" ? c.name_it : c.name_en)),
    certification: byCode(catalogue?.standards, (s) => s.name),
    size_class: new Map(Object.entries(w.size_class)),
    tier: new Map(Object.entries(w.tier)),
  };
  return (facet, code) => tables[facet]?.get(code) ?? code;
}
