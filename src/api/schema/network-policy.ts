/**
 * `spec.networkPolicy`: the NetworkPolicies the operator keeps around the file-server pod (src/dittoserver/
 * network-policies.ts). File ports stay open to every source; the API port is open to the operator's namespace and
 * to `apiFrom`; the metrics port to `monitoringNamespace`. Peers have the shape of networking.k8s.io/v1
 * NetworkPolicyPeer, so they are copied into the policy as written.
 */
import { Type } from "@sinclair/typebox";
import { DEFAULTS } from "../defaults.ts";
import { cel } from "./helpers.ts";
import { LabelSelectorSchema } from "./kube.ts";
import { isDnsLabel } from "./syntax.ts";

/**
 * A CIDR the API server stores as written: canonical, host bits zero (`10.0.0.0/16`, not `10.0.0.1/16`), which
 * strict IP validation requires of new NetworkPolicies.
 */
const canonicalCidr = (x: string): string => `isCIDR(${x}) && string(cidr(${x}).masked()) == ${x}`;

export const IpBlockSchema = Type.Object(
  {
    cidr: Type.String({
      description: "Source addresses, a CIDR such as 10.0.0.0/16 or fd00::/8 (host bits zero).",
      maxLength: 64,
      ...cel({ rule: canonicalCidr("self"), message: "networkPolicy.apiFrom[].ipBlock.cidr must be a CIDR with its host bits zero, such as 10.0.0.0/16" }),
    }),
    except: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        description: "Ranges inside cidr that are not allowed.",
        maxItems: 16,
      }),
    ),
  },
  {
    description: "A range of source IP addresses (NetworkPolicy ipBlock).",
    ...cel({
      rule:
        `!has(self.except) || !(${canonicalCidr("self.cidr")}) || self.except.all(e, ${canonicalCidr("e")} && ` +
        "cidr(self.cidr).containsCIDR(e) && cidr(e).prefixLength() > cidr(self.cidr).prefixLength())",
      message: "networkPolicy.apiFrom[].ipBlock.except entries must be CIDRs (host bits zero) strictly inside cidr",
      fieldPath: ".except",
    }),
  },
);

export const ApiPeerSchema = Type.Object(
  {
    podSelector: Type.Optional(LabelSelectorSchema),
    namespaceSelector: Type.Optional(LabelSelectorSchema),
    ipBlock: Type.Optional(IpBlockSchema),
  },
  {
    description:
      "Who may reach the API port besides the operator (a NetworkPolicyPeer): pods matching podSelector in the DittoServer's " +
      "namespace, or in the namespaces matching namespaceSelector when both are given; every pod of those namespaces with " +
      "namespaceSelector alone; or an ipBlock.",
    ...cel(
      {
        rule: "has(self.podSelector) || has(self.namespaceSelector) || has(self.ipBlock)",
        message: "networkPolicy.apiFrom entries need podSelector, namespaceSelector or ipBlock",
        reason: "FieldValueRequired",
      },
      {
        rule: "!has(self.ipBlock) || !(has(self.podSelector) || has(self.namespaceSelector))",
        message: "networkPolicy.apiFrom: ipBlock cannot be combined with podSelector or namespaceSelector in one entry",
        fieldPath: ".ipBlock",
      },
    ),
  },
);

export const NetworkPolicySpecSchema = Type.Object(
  {
    enabled: Type.Boolean({
      description: "Keep NetworkPolicies <name>-baseline and <name>-adapter-<type> around the file-server pod; false removes them.",
      default: DEFAULTS.networkPolicy.enabled,
    }),
    apiFrom: Type.Optional(
      Type.Array(ApiPeerSchema, {
        description:
          "Sources allowed to reach the API port besides the operator's namespace (e.g. where dfsctl runs). When the operator runs " +
          "outside the cluster and this is empty, the API port is open to every source.",
        maxItems: 16,
      }),
    ),
    monitoringNamespace: Type.Optional(
      Type.String({
        description: "Namespace allowed to scrape the metrics port (e.g. where Prometheus runs); every source may when omitted.",
        maxLength: 63,
        ...cel({ rule: isDnsLabel("self"), message: "networkPolicy.monitoringNamespace must be a namespace name (a lowercase DNS label of at most 63 characters)" }),
      }),
    ),
  },
  {
    description:
      "Ingress NetworkPolicies of the file-server pod (only enforced where the cluster's network plugin supports them). The file " +
      "ports are always open to every source.",
    default: {},
  },
);
