// The Identity Center shim as a process of its own, in front of a running moto_server —
// for the sandbox and the end-to-end tests (which reach its controls over IPC, see
// peer-process.ts):
//   tsx test/peers/aws-shim-cli.ts --moto http://127.0.0.1:5000 [--port 5001]
//       [--latency-ms 0] [--pending-polls 1] [--throttle-rps 20] [--async-ms 1000] [--max-outstanding 10]
//       [--no-validate] [--botocore DIR] [--managed-policies-per-role 10] [--trust-policy-chars 2048]
// --async-ms switches on the time model: asynchronous operations stay IN_PROGRESS that long
// and AWS's limits on work in progress are enforced (--max-outstanding assignment operations
// per instance, one provisioning per account); without it, --pending-polls applies.
// Every request (IAM, STS and Organizations too) is checked against AWS's API models
// (botocore's, found like moto; --botocore names the data directory) unless --no-validate,
// and AWS's size and count limits are enforced (--managed-policies-per-role and
// --trust-policy-chars stand for an account whose quota was raised).
// Prints the endpoint to use as AWS_ENDPOINT_URL and serves until Ctrl-C.
import { parseArgs } from "node:util";
import { servePeerControls } from "./peer-process.js";
import { startAwsShim, type AwsShim, type FaultRule, type ThrottleOptions } from "./aws-shim.js";

export function awsShimControls(shim: AwsShim) {
  return {
    stats: () => shim.stats,
    validation: () => shim.validation,
    resetStats: () => shim.resetStats(),
    resetState: () => shim.resetState(),
    setLatency: (ms: number, operation?: string) => shim.setLatency(ms, operation),
    setThrottle: (throttle: ThrottleOptions | undefined) => shim.setThrottle(throttle),
    setPendingPolls: (n: number) => shim.setPendingPolls(n),
    setAsyncDuration: (ms: number | undefined) => shim.setAsyncDuration(ms),
    addFault: (rule: FaultRule) => shim.addFault(rule),
    clearFaults: () => shim.clearFaults(),
    setServiceQuota: (serviceCode: "sso", quotaCode: string, value: number | undefined) => shim.setServiceQuota(serviceCode, quotaCode, value),
    advanceClock: (ms: number) => shim.advanceClock(ms),
    sessions: () => shim.sessions(),
    sessionDecisions: () => shim.sessionDecisions(),
  };
}
export type AwsShimControls = ReturnType<typeof awsShimControls>;

const usage =
  "usage: tsx test/peers/aws-shim-cli.ts --moto MOTO_URL [--port PORT] [--latency-ms MS] [--pending-polls N] [--throttle-rps N] [--async-ms MS] [--max-outstanding N]" +
  " [--no-validate] [--botocore DIR] [--managed-policies-per-role N] [--trust-policy-chars N]";

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: {
      moto: { type: "string" },
      port: { type: "string", default: "0" },
      "latency-ms": { type: "string", default: "0" },
      "pending-polls": { type: "string", default: "1" },
      "throttle-rps": { type: "string" },
      "async-ms": { type: "string" },
      "max-outstanding": { type: "string" },
      "no-validate": { type: "boolean", default: false },
      botocore: { type: "string" },
      "managed-policies-per-role": { type: "string" },
      "trust-policy-chars": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const numbers = [
    values.port,
    values["latency-ms"],
    values["pending-polls"],
    values["throttle-rps"] ?? "1",
    values["async-ms"] ?? "0",
    values["max-outstanding"] ?? "1",
    values["managed-policies-per-role"] ?? "1",
    values["trust-policy-chars"] ?? "1",
  ].map(Number);
  if (!values.moto || numbers.some((n) => !Number.isInteger(n) || n < 0) || values["max-outstanding"] === "0") {
    console.error(usage);
    process.exit(2);
  }
  const shim = await startAwsShim({
    motoEndpoint: values.moto,
    port: Number(values.port),
    latencyMs: Number(values["latency-ms"]),
    pendingPolls: Number(values["pending-polls"]),
    ...(values["throttle-rps"] ? { throttle: { ratePerSecond: Number(values["throttle-rps"]) } } : {}),
    ...(values["async-ms"] !== undefined ? { asyncDurationMs: Number(values["async-ms"]) } : {}),
    ...(values["max-outstanding"] !== undefined ? { maxOutstandingAssignments: Number(values["max-outstanding"]) } : {}),
    validate: !values["no-validate"],
    ...(values.botocore ? { botocoreData: values.botocore } : {}),
    quotas: {
      ...(values["managed-policies-per-role"] !== undefined ? { managedPoliciesPerRole: Number(values["managed-policies-per-role"]) } : {}),
      ...(values["trust-policy-chars"] !== undefined ? { roleTrustPolicyChars: Number(values["trust-policy-chars"]) } : {}),
    },
  });
  console.log(shim.endpoint);
  console.error(`AWS shim on ${shim.endpoint} in front of ${values.moto} (Ctrl-C to stop)`);
  servePeerControls({ url: shim.endpoint }, awsShimControls(shim), () => shim.stop());
  const shutdown = () => void shim.stop().then(() => process.exit(0));
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
