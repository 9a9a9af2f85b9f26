/**
 * The operator binary: flags → manager with the operator's controllers → run until SIGTERM/SIGINT.
 * `node src/main.ts --kubeconfig <file> [--namespace <ns>] [--leader-elect] …` (see --help).
 */
import { createOperator } from "./operator.ts";
import { operatorFlagsHelp, parseOperatorFlags } from "./dittoserver/operator-flags.ts";
import { defaultFlags, FlagError, flagsHelp, parseManagerFlags } from "./runtime/flags.ts";
import { createLogger } from "./runtime/log.ts";
import { OPERATOR_VERSION } from "./version.ts";

function parse(argv: string[]): ReturnType<typeof parseOperatorFlags> & { flags: ReturnType<typeof parseManagerFlags> } {
  const operator = parseOperatorFlags(argv);
  return { ...operator, flags: parseManagerFlags(operator.rest, defaultFlags("dittofs-operator-lock")) };
}

let parsed: ReturnType<typeof parse>;
try {
  parsed = parse(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof FlagError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
if (parsed.flags.help) {
  process.stdout.write(`dittofs-operator ${OPERATOR_VERSION}\n\n${flagsHelp()}\n${operatorFlagsHelp()}\n`);
  process.exit(0);
}
const { flags } = parsed;
// Set by the Deployment (downward API); a namespace name only, so an empty value counts as unset.
const options = process.env.POD_NAMESPACE ? { ...parsed.options, operatorNamespace: process.env.POD_NAMESPACE } : parsed.options;
const logger = createLogger({ level: flags.logLevel, name: "dittofs-operator" });
const { manager } = createOperator({ ...flags, kubeconfigPath: flags.kubeconfig, logger }, options);
manager.handleSignals();
await manager.start();
logger.info({ version: OPERATOR_VERSION, namespace: flags.namespace ?? "(all)", clusterDomain: options.clusterDomain }, "dittofs-operator started");
