// How PostgreSQL orders text, which is how authentik orders every list by name
// (`ordering = ["name"]` in its viewsets) and the property mappings a SCIM
// provider merges (`property_mappings.all().order_by("name")`,
// authentik/providers/scim/clients/users.py@version/2025.10.4 and @2026.5.0-rc1).
//
// The order depends on the database's collation, not on authentik:
//   * "ci": a linguistic collation such as en_US.UTF-8 on a glibc-based PostgreSQL
//     (Debian images, most managed databases) or an ICU one: letters compare
//     case-insensitively first ("apple" < "Banana" < "cherry"), punctuation and
//     spaces sort before digits and letters, ties are broken by case and finally
//     by bytes (PostgreSQL's deterministic collations). Modelled with ICU's en-US
//     collation (Intl.Collator), which is what ICU-backed PostgreSQL uses and close
//     to glibc 2.28+.
//   * "c": byte order ("Banana" < "apple"). This is what authentik's own compose
//     file gets: it runs docker.io/library/postgres:16-alpine
//     (lifecycle/container/compose.yml@2026.5.0-rc1, docker-compose.yml@version/2025.10.4),
//     whose musl libc cannot collate, so en_US.utf8 sorts like C
//     (docker-library/postgres#327, #1172).
export type Collation = "ci" | "c";

export type Compare = (a: string, b: string) => number;

const byCodePoint: Compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// UTF-8 byte order equals code point order, which JS's UTF-16 `<` gets wrong only
// above the BMP; good enough for names.
const icu = new Intl.Collator("en-US", { sensitivity: "variant", ignorePunctuation: false, numeric: false });

export function comparator(collation: Collation): Compare {
  if (collation === "c") return byCodePoint;
  return (a, b) => icu.compare(a, b) || byCodePoint(a, b);
}

export function isCollation(value: unknown): value is Collation {
  return value === "ci" || value === "c";
}
