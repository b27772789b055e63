// /flows/instances/, /crypto/certificatekeypairs/, /admin/version/ — read-only
// views of what a fresh install has (tests seed more through the Store).
import { notFound } from "../http-errors.js";
import * as S from "../serialize.js";
import { anyOf, exact, type HandlerTable, list, ok } from "./common.js";

export const miscHandlers: HandlerTable = {
  flows_instances_list: (ctx) =>
    list(ctx, [...ctx.store.flows.values()].map((f) => S.flow(ctx.ser, f)), {
      filters: {
        slug: exact("slug"),
        name: exact("name"),
        designation: exact("designation"),
        denied_action: exact("denied_action"),
        flow_uuid: exact("pk"),
      },
      search: ["slug", "name", "title"],
      ordering: ["slug", "name"],
    }),
  flows_instances_retrieve(ctx) {
    const flow = ctx.store.flowBySlug(ctx.params.slug!);
    if (!flow) throw notFound("Flow");
    return ok(S.flow(ctx.ser, flow));
  },

  crypto_certificatekeypairs_list: (ctx) =>
    // ?include_details (2025.10 only) defaults to true.
    list(ctx, [...ctx.store.keypairs.values()].map((k) => S.keypair(ctx.ser, k, ctx.query.include_details !== false)), {
      filters: {
        name: exact("name"),
        managed: exact("managed"),
        has_key: exact("private_key_available"),
        key_type: anyOf("key_type"), // (no key_type filter in 2025.10)
      },
      search: ["name"],
      ordering: ["name"],
    }),
  crypto_certificatekeypairs_retrieve(ctx) {
    const kp = ctx.store.keypairs.get(ctx.params.kp_uuid!);
    if (!kp) throw notFound("Certificate-Key Pair");
    return ok(S.keypair(ctx.ser, kp));
  },

  admin_version_retrieve: (ctx) =>
    ok({
      version_current: ctx.options.version,
      version_latest: ctx.options.version,
      version_latest_valid: true,
      build_hash: "",
      outdated: false,
      outpost_outdated: false,
    }),
};
