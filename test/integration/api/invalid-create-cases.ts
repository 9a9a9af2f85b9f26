/**
 * DittoServers the API server must reject at creation, each with the field path and the message fragment the
 * user should see. `spec` is merged over a valid minimal spec (`storage.metadataSize: 1Gi`); a value of `null`
 * deletes the key. A case with `raw` sends that object as is.
 */

export interface CreateCase {
  name: string;
  spec?: Record<string, unknown>;
  raw?: Record<string, unknown>;
  /** metadata.name to use instead of a generated one. */
  objectName?: string;
  /** Field path as the API server prints it, e.g. spec.storage.metadataSize. */
  field: string;
  message: string;
}

const secretKeyRef = { name: "s", key: "k" };
const kerberosOn = {
  enabled: true,
  servicePrincipal: "nfs/files.example.com@EXAMPLE.COM",
  keytabSecretRef: secretKeyRef,
  krb5ConfSecretRef: secretKeyRef,
};
const ldap = { url: "ldap://ldap.example.com", baseDN: "dc=example,dc=com", bindDN: "cn=x,dc=example,dc=com" };
const backupOn = { enabled: true, bucket: "backups", endpoint: "s3.example.com", credentialsSecretRef: { name: "s3" } };

export const CREATE_CASES: CreateCase[] = [
  // --- shape ---
  { name: "no spec", raw: {}, field: "spec", message: "Required value" },
  { name: "no storage", spec: { storage: null }, field: "spec.storage", message: "Required value" },
  { name: "no metadataSize", spec: { storage: { metadataSize: null, controlPlaneSize: "1Gi" } }, field: "spec.storage.metadataSize", message: "Required value" },
  { name: "metadataSize in decimal units", spec: { storage: { metadataSize: "1GB" } }, field: "spec.storage.metadataSize", message: "should match" },
  { name: "fractional contentSize", spec: { storage: { contentSize: "1.5Ti" } }, field: "spec.storage.contentSize", message: "should match" },
  { name: "controlPlaneSize in kilobytes", spec: { storage: { controlPlaneSize: "512Ki" } }, field: "spec.storage.controlPlaneSize", message: "should match" },
  { name: "storageClassName not a DNS name", spec: { storage: { storageClassName: "Fast_SSD" } }, field: "spec.storage.storageClassName", message: "should match" },
  { name: "two replicas", spec: { replicas: 2 }, field: "spec.replicas", message: "less than or equal to 1" },
  { name: "negative replicas", spec: { replicas: -1 }, field: "spec.replicas", message: "greater than or equal to 0" },
  { name: "empty image", spec: { image: "" }, field: "spec.image", message: "at least 1 chars long" },
  { name: "unknown pull policy", spec: { imagePullPolicy: "Sometimes" }, field: "spec.imagePullPolicy", message: "Unsupported value" },
  { name: "pull secret without name", spec: { imagePullSecrets: [{}] }, field: "spec.imagePullSecrets[0].name", message: "Required value" },
  { name: "name too long for derived names", objectName: "a".repeat(46), field: "metadata.name", message: "at most 45 characters" },
  { name: "name with a dot", objectName: "files.example", field: "metadata.name", message: "must start with a lowercase letter" },
  { name: "name starting with a digit", objectName: "1files", field: "metadata.name", message: "must start with a lowercase letter" },
  // --- fields dropped from the reference (strict field validation) ---
  { name: "identity.type is gone", spec: { identity: { type: "memory" } }, field: "spec.identity.type", message: "unknown field" },
  { name: "admin.username is gone", spec: { identity: { admin: { username: "root" } } }, field: "spec.identity.admin.username", message: "unknown field" },
  { name: "postgresSecretRef.key is gone", spec: { database: { postgresSecretRef: { name: "pg", key: "uri" } } }, field: "spec.database.postgresSecretRef.key", message: "unknown field" },
  // --- database ---
  { name: "unknown database type", spec: { database: { type: "mysql" } }, field: "spec.database.type", message: "Unsupported value" },
  { name: "sqlite with a postgres Secret", spec: { database: { type: "sqlite", postgresSecretRef: { name: "pg" } } }, field: "spec.database.postgresSecretRef", message: "only used with type postgres" },
  { name: "postgres without a source", spec: { database: { type: "postgres" } }, field: "spec.database.postgresSecretRef", message: "requires database.postgresSecretRef or percona.enabled" },
  { name: "sqlite settings with a postgres Secret", spec: { database: { sqlite: { path: "/data/x.db" }, postgresSecretRef: { name: "pg" } } }, field: "spec.database.sqlite", message: "do not apply" },
  { name: "sqlite settings with type postgres", spec: { database: { type: "postgres", sqlite: {}, postgresSecretRef: { name: "pg" } } }, field: "spec.database.sqlite", message: "do not apply to type postgres" },
  { name: "relative sqlite path", spec: { database: { sqlite: { path: "controlplane.db" } } }, field: "spec.database.sqlite.path", message: "should match" },
  { name: "postgres Secret without name", spec: { database: { postgresSecretRef: { keys: { host: "h" } } } }, field: "spec.database.postgresSecretRef.name", message: "Required value" },
  { name: "invalid postgres key name", spec: { database: { postgresSecretRef: { name: "pg", keys: { password: "pass word" } } } }, field: "spec.database.postgresSecretRef.keys.password", message: "should match" },
  { name: "percona and a postgres Secret", spec: { percona: { enabled: true }, database: { postgresSecretRef: { name: "pg" } } }, field: "spec.database.postgresSecretRef", message: "mutually exclusive" },
  { name: "percona with type sqlite", spec: { percona: { enabled: true }, database: { type: "sqlite" } }, field: "spec.database.type", message: "must be postgres or omitted" },
  { name: "percona with sqlite settings", spec: { percona: { enabled: true }, database: { sqlite: {} } }, field: "spec.database.sqlite", message: "does not apply when percona.enabled" },
  // --- percona ---
  { name: "six percona replicas", spec: { percona: { replicas: 6 } }, field: "spec.percona.replicas", message: "less than or equal to 5" },
  { name: "zero percona replicas", spec: { percona: { replicas: 0 } }, field: "spec.percona.replicas", message: "greater than or equal to 1" },
  { name: "percona size in GB", spec: { percona: { storageSize: "10GB" } }, field: "spec.percona.storageSize", message: "should match" },
  { name: "percona database name with dash", spec: { percona: { databaseName: "ditto-fs" } }, field: "spec.percona.databaseName", message: "should match" },
  { name: "backup without bucket", spec: { percona: { enabled: true, backup: { ...backupOn, bucket: null } } }, field: "spec.percona.backup.bucket", message: "bucket is required" },
  { name: "backup without endpoint", spec: { percona: { enabled: true, backup: { ...backupOn, endpoint: null } } }, field: "spec.percona.backup.endpoint", message: "endpoint is required" },
  { name: "backup without credentials", spec: { percona: { enabled: true, backup: { ...backupOn, credentialsSecretRef: null } } }, field: "spec.percona.backup.credentialsSecretRef", message: "credentialsSecretRef is required" },
  { name: "zero retention days", spec: { percona: { backup: { retentionDays: 0 } } }, field: "spec.percona.backup.retentionDays", message: "greater than or equal to 1" },
  // --- control plane and ports ---
  { name: "port 0", spec: { controlPlane: { port: 0 } }, field: "spec.controlPlane.port", message: "greater than or equal to 1" },
  { name: "port above 65535", spec: { controlPlane: { port: 70000 } }, field: "spec.controlPlane.port", message: "less than or equal to 65535" },
  { name: "API on the NFS port", spec: { controlPlane: { port: 12049 } }, field: "spec.controlPlane.port", message: "used by the file adapters" },
  { name: "mTLS without a certificate", spec: { controlPlane: { clientCASecretName: "client-ca" } }, field: "spec.controlPlane.certSecretName", message: "clientCASecretName (mTLS) requires certSecretName" },
  { name: "tls without a certificate", spec: { controlPlane: { tls: true } }, field: "spec.controlPlane.certSecretName", message: "tls: true requires certSecretName" },
  { name: "tls false with a certificate", spec: { controlPlane: { tls: false, certSecretName: "cert" } }, field: "spec.controlPlane.tls", message: "contradicts certSecretName" },
  { name: "metrics on the API port", spec: { controlPlane: { port: 9000 }, metrics: { enabled: true, port: 9000 } }, field: "spec.metrics.port", message: "must differ from controlPlane.port" },
  { name: "metrics on the SMB port", spec: { metrics: { enabled: true, port: 1445 } }, field: "spec.metrics.port", message: "used by the file adapters" },
  { name: "relative metrics path", spec: { metrics: { path: "metrics" } }, field: "spec.metrics.path", message: "should match" },
  { name: "ServiceMonitor without metrics", spec: { metrics: { serviceMonitor: { enabled: true } } }, field: "spec.metrics.serviceMonitor.enabled", message: "requires metrics.enabled" },
  { name: "ServiceMonitor interval in words", spec: { metrics: { enabled: true, serviceMonitor: { enabled: true, interval: "30 seconds" } } }, field: "spec.metrics.serviceMonitor.interval", message: "must be a Prometheus duration" },
  { name: "ServiceMonitor interval with a unit twice", spec: { metrics: { enabled: true, serviceMonitor: { enabled: true, interval: "5m5m" } } }, field: "spec.metrics.serviceMonitor.interval", message: "each at most once and in that order" },
  { name: "metrics token without key", spec: { metrics: { enabled: true, bearerTokenSecret: { name: "tok" } } }, field: "spec.metrics.bearerTokenSecret.key", message: "key is required when name is set" },
  { name: "unknown API Service type", spec: { service: { type: "ExternalName" } }, field: "spec.service.type", message: "Unsupported value" },
  { name: "unknown file Service type", spec: { adapterServices: { type: "Ingress" } }, field: "spec.adapterServices.type", message: "Unsupported value" },
  // --- shutdown ---
  { name: "shutdownTimeout without unit", spec: { shutdownTimeout: "30" }, field: "spec.shutdownTimeout", message: "should match" },
  { name: "shutdownTimeout in milliseconds", spec: { shutdownTimeout: "500ms" }, field: "spec.shutdownTimeout", message: "should match" },
  { name: "shutdownTimeout of zero", spec: { shutdownTimeout: "0s" }, field: "spec.shutdownTimeout", message: "between 1s and 1h" },
  { name: "shutdownTimeout over an hour", spec: { shutdownTimeout: "2h" }, field: "spec.shutdownTimeout", message: "between 1s and 1h" },
  { name: "grace period below 36", spec: { shutdownTimeout: "5s", terminationGracePeriodSeconds: 30 }, field: "spec.terminationGracePeriodSeconds", message: "greater than or equal to 36" },
  { name: "grace period below the derived bound", spec: { terminationGracePeriodSeconds: 104 }, field: "spec.terminationGracePeriodSeconds", message: "must be at least 5 (preStop) + 3 × shutdownTimeout + 10" },
  { name: "grace period below a custom bound", spec: { shutdownTimeout: "1m", terminationGracePeriodSeconds: 120 }, field: "spec.terminationGracePeriodSeconds", message: "must be at least" },
  // --- identity ---
  { name: "JWT Secret without key", spec: { identity: { jwt: { secretRef: { name: "jwt" } } } }, field: "spec.identity.jwt.secretRef.key", message: "key is required when name is set" },
  { name: "JWT duration in words", spec: { identity: { jwt: { accessTokenDuration: "15 minutes" } } }, field: "spec.identity.jwt.accessTokenDuration", message: "should match" },
  { name: "admin password Secret without key", spec: { identity: { admin: { passwordSecretRef: { name: "admin" } } } }, field: "spec.identity.admin.passwordSecretRef.key", message: "key is required when name is set" },
  { name: "LDAP without url", spec: { identity: { ldap: { ...ldap, url: null } } }, field: "spec.identity.ldap.url", message: "Required value" },
  { name: "LDAP over http", spec: { identity: { ldap: { ...ldap, url: "http://ldap.example.com" } } }, field: "spec.identity.ldap.url", message: "should match" },
  { name: "LDAP without baseDN", spec: { identity: { ldap: { ...ldap, baseDN: null } } }, field: "spec.identity.ldap.baseDN", message: "Required value" },
  { name: "StartTLS on ldaps", spec: { identity: { ldap: { ...ldap, url: "ldaps://ldap.example.com", startTLS: true } } }, field: "spec.identity.ldap.startTLS", message: "ldap:// URLs only" },
  { name: "LDAP CA as a file and a Secret", spec: { identity: { ldap: { ...ldap, caCertFile: "/etc/ssl/ca.pem", caCertSecretRef: { name: "ldap-ca" } } } }, field: "spec.identity.ldap.caCertSecretRef", message: "not both" },
  { name: "LDAP CA Secret key with a slash", spec: { identity: { ldap: { ...ldap, caCertSecretRef: { name: "ldap-ca", key: "a/b" } } } }, field: "spec.identity.ldap.caCertSecretRef.key", message: "should match" },
  { name: "unknown LDAP idmap", spec: { identity: { ldap: { ...ldap, idmap: "sid" } } }, field: "spec.identity.ldap.idmap", message: "Unsupported value" },
  { name: "Kerberos without principal", spec: { identity: { kerberos: { ...kerberosOn, servicePrincipal: null } } }, field: "spec.identity.kerberos.servicePrincipal", message: "servicePrincipal is required" },
  { name: "Kerberos without keytab", spec: { identity: { kerberos: { ...kerberosOn, keytabSecretRef: null } } }, field: "spec.identity.kerberos.keytabSecretRef", message: "keytabSecretRef is required" },
  { name: "Kerberos keytab without key", spec: { identity: { kerberos: { ...kerberosOn, keytabSecretRef: { name: "keytab" } } } }, field: "spec.identity.kerberos.keytabSecretRef.key", message: "key is required when name is set" },
  { name: "krb5.conf twice", spec: { identity: { kerberos: { ...kerberosOn, krb5Conf: "/etc/krb5.conf", krb5ConfSecretRef: secretKeyRef } } }, field: "spec.identity.kerberos.krb5Conf", message: "not both" },
  { name: "Kerberos without any krb5.conf", spec: { identity: { kerberos: { ...kerberosOn, krb5ConfSecretRef: null } } }, field: "spec.identity.kerberos.krb5ConfSecretRef", message: "kerberos.enabled requires krb5ConfSecretRef" },
  { name: "Kerberos without krb5.conf says why", spec: { identity: { kerberos: { ...kerberosOn, krb5ConfSecretRef: null } } }, field: "spec.identity.kerberos.krb5ConfSecretRef", message: "the server image has no /etc/krb5.conf" },
  { name: "machine account without name", spec: { identity: { kerberos: { ...kerberosOn, machineAccount: { enabled: true, secretRef: secretKeyRef } } } }, field: "spec.identity.kerberos.machineAccount.accountName", message: "accountName is required" },
  { name: "machine account without credentials", spec: { identity: { kerberos: { ...kerberosOn, machineAccount: { enabled: true, accountName: "DITTOFS$" } } } }, field: "spec.identity.kerberos.machineAccount", message: "needs secretRef (password) or keytabSecretRef" },
  { name: "NetBIOS name too long", spec: { identity: { kerberos: { netbiosDomain: "ABCDEFGHIJKLMNOPQ" } } }, field: "spec.identity.kerberos.netbiosDomain", message: "Too long" },
  // --- logging ---
  { name: "log level TRACE", spec: { logging: { level: "TRACE" } }, field: "spec.logging.level", message: "Unsupported value" },
  { name: "log format xml", spec: { logging: { format: "xml" } }, field: "spec.logging.format", message: "Unsupported value" },
  { name: "log output syslog", spec: { logging: { output: "syslog" } }, field: "spec.logging.output", message: "must be stdout, stderr or a file path under /data/controlplane/" },
  { name: "log file on the read-only root filesystem", spec: { logging: { output: "/var/log/dittofs/dittofs.log" } }, field: "spec.logging.output", message: "the root filesystem is read-only" },
  { name: "log file climbing out of the volume", spec: { logging: { output: "/data/controlplane/../../var/log/d.log" } }, field: "spec.logging.output", message: "under /data/controlplane/" },
  { name: "log file being the volume itself", spec: { logging: { output: "/data/controlplane" } }, field: "spec.logging.output", message: "under /data/controlplane/" },
  { name: "log file on a sibling path", spec: { logging: { output: "/data/controlplanex/d.log" } }, field: "spec.logging.output", message: "under /data/controlplane/" },
  // --- pod settings ---
  { name: "cpu request in words", spec: { resources: { requests: { cpu: "lots" } } }, field: "spec.resources.requests.cpu", message: "should match" },
  { name: "unknown toleration operator", spec: { tolerations: [{ key: "k", operator: "Maybe" }] }, field: "spec.tolerations[0].operator", message: "Unsupported value" },
  { name: "33 tolerations", spec: { tolerations: Array.from({ length: 33 }, (_, i) => ({ key: `k${i}`, operator: "Exists" })) }, field: "spec.tolerations", message: "must have at most 32 items" },
  { name: "unknown seccomp profile type", spec: { securityContext: { seccompProfile: { type: "Custom" } } }, field: "spec.securityContext.seccompProfile.type", message: "Unsupported value" },
  { name: "unknown fsGroupChangePolicy", spec: { podSecurityContext: { fsGroupChangePolicy: "Never" } }, field: "spec.podSecurityContext.fsGroupChangePolicy", message: "Unsupported value" },
  {
    name: "node affinity weight 0",
    spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }] } } },
    field: "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
    message: "greater than or equal to 1",
  },
  {
    name: "pod anti-affinity without topologyKey",
    spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: "b" } } }] } } },
    field: "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
    message: "Required value",
  },
  { name: "priority class in capitals", spec: { priorityClassName: "High" }, field: "spec.priorityClassName", message: "should match" },
  { name: "pod label overriding the selector", spec: { podLabels: { "app.kubernetes.io/instance": "other" } }, field: "spec.podLabels", message: "cannot set the operator's labels" },
  { name: "pod label value too long", spec: { podLabels: { team: "x".repeat(64) } }, field: "spec.podLabels.team", message: "Too long" },
  // --- what the API server would refuse in a child (issue 15): syntax, reserved prefixes, combinations ---
  { name: "node selector key with a space", spec: { nodeSelector: { "Bad Key": "x" } }, field: "spec.nodeSelector", message: 'nodeSelector key "Bad Key" is not a valid label key' },
  { name: "pod label value with a variable", spec: { podLabels: { team: "${HOME}" } }, field: "spec.podLabels", message: 'podLabels value of key "team" is not a valid label value' },
  { name: "pod label under the operator's prefix", spec: { podLabels: { "dittofs.dittofs.com/x": "y" } }, field: "spec.podLabels", message: "reserved for the labels and annotations of the operator" },
  { name: "annotation key starting with a dash", spec: { podAnnotations: { "-x": "y" } }, field: "spec.podAnnotations", message: 'podAnnotations key "-x" is not a valid annotation key' },
  { name: "annotation name part over 63", spec: { service: { annotations: { ["a".repeat(64)]: "y" } } }, field: "spec.service.annotations", message: "is not a valid annotation key" },
  { name: "a seccomp pod annotation", spec: { podAnnotations: { "seccomp.security.alpha.kubernetes.io/pod": "x" } }, field: "spec.podAnnotations", message: "is interpreted by Kubernetes on the pod" },
  { name: "the operator's applied-hash annotation", spec: { service: { annotations: { "dittofs.dittofs.com/applied-hash": "x" } } }, field: "spec.service.annotations", message: "uses the prefix dittofs.dittofs.com/" },
  { name: "annotations over 255 KiB", spec: { adapterServices: { annotations: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "é".repeat(4096)])) } }, field: "spec.adapterServices.annotations", message: "at most 261120 bytes" },
  { name: "ServiceMonitor label overriding the operator's", spec: { metrics: { enabled: true, serviceMonitor: { enabled: true, labels: { "app.kubernetes.io/name": "x" } } } }, field: "spec.metrics.serviceMonitor.labels", message: "cannot set the operator's labels" },
  { name: "a zero-sized volume", spec: { storage: { metadataSize: "0Gi" } }, field: "spec.storage.metadataSize", message: "metadataSize must be greater than zero" },
  { name: "a zero-sized Percona volume", spec: { percona: { storageSize: "0Mi" } }, field: "spec.percona.storageSize", message: "must be greater than zero" },
  { name: "resource name with a space", spec: { resources: { limits: { "bad name": 1 } } }, field: "spec.resources.limits", message: '"bad name" is not a container resource' },
  { name: "negative cpu", spec: { resources: { requests: { cpu: "-1" } } }, field: "spec.resources.requests", message: 'the quantity of "cpu" is invalid' },
  { name: "hugepages without cpu or memory", spec: { resources: { limits: { "hugepages-2Mi": "4Mi" }, requests: { "hugepages-2Mi": "4Mi" } } }, field: "spec.resources", message: "hugepages must also request or limit cpu or memory" },
  { name: "hugepages not a multiple of the page", spec: { resources: { limits: { "hugepages-2Mi": "3Mi", memory: "1Gi" } } }, field: "spec.resources.limits", message: 'the quantity of "hugepages-2Mi" is invalid' },
  { name: "extended resource request without limit", spec: { resources: { requests: { "example.com/gpu": 1 } } }, field: "spec.resources.limits", message: 'must set "example.com/gpu" too' },
  { name: "request above limit", spec: { resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }, field: "spec.resources.requests", message: "must not exceed resources.limits" },
  { name: "privileged without escalation", spec: { securityContext: { privileged: true } }, field: "spec.securityContext.allowPrivilegeEscalation", message: "privileged: true needs allowPrivilegeEscalation: true" },
  { name: "CAP_SYS_ADMIN without escalation", spec: { securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ["CAP_SYS_ADMIN"] } } }, field: "spec.securityContext.allowPrivilegeEscalation", message: "CAP_SYS_ADMIN needs allowPrivilegeEscalation: true" },
  { name: "root with the default runAsNonRoot", spec: { podSecurityContext: { runAsUser: 0 } }, field: "spec.securityContext", message: "would run as root (runAsUser 0) while runAsNonRoot is true" },
  { name: "negative runAsUser", spec: { securityContext: { runAsUser: -1 } }, field: "spec.securityContext.runAsUser", message: "greater than or equal to 0" },
  { name: "Localhost seccomp without a profile", spec: { securityContext: { seccompProfile: { type: "Localhost" } } }, field: "spec.securityContext.seccompProfile.localhostProfile", message: "required when type is Localhost" },
  { name: "seccomp profile climbing up", spec: { podSecurityContext: { seccompProfile: { type: "Localhost", localhostProfile: "../x.json" } } }, field: "spec.podSecurityContext.seccompProfile.localhostProfile", message: "without '..' segments" },
  { name: "AppArmor profile with a RuntimeDefault type", spec: { securityContext: { appArmorProfile: { type: "RuntimeDefault", localhostProfile: "x" } } }, field: "spec.securityContext.appArmorProfile.localhostProfile", message: "only be set when type is Localhost" },
  { name: "duplicate sysctl", spec: { podSecurityContext: { sysctls: [{ name: "kernel.shm_rmid_forced", value: "1" }, { name: "kernel.shm_rmid_forced", value: "0" }] } }, field: "spec.podSecurityContext.sysctls", message: "each name may appear only once" },
  { name: "toleration without key nor Exists", spec: { tolerations: [{ value: "x" }] }, field: "spec.tolerations[0].operator", message: "operator must be Exists when key is empty" },
  { name: "toleration seconds without NoExecute", spec: { tolerations: [{ key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 5 }] }, field: "spec.tolerations[0].effect", message: "needs effect NoExecute" },
  { name: "toleration Exists with a value", spec: { tolerations: [{ key: "k", operator: "Exists", value: "v" }] }, field: "spec.tolerations[0].value", message: "must be empty when operator is Exists" },
  {
    name: "node affinity Gt without a value",
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "cores", operator: "Gt" }] }] } } } },
    field: "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values",
    message: "Gt or Lt takes exactly one value, an integer",
  },
  {
    name: "node affinity In without values",
    spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: "zone", operator: "In" }] } }] } } },
    field: "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values",
    message: "values must be given when operator is In or NotIn",
  },
  {
    name: "node affinity without terms",
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } },
    field: "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
    message: "at least 1 items",
  },
  {
    name: "matchFields on an unknown field",
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.namespace", operator: "In", values: ["x"] }] }] } } } },
    field: "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key",
    message: "Unsupported value",
  },
  {
    name: "pod affinity Exists with values",
    spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "zone", labelSelector: { matchExpressions: [{ key: "app", operator: "Exists", values: ["x"] }] } }] } } },
    field: "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values",
    message: "values must be empty when operator is Exists or DoesNotExist",
  },
  {
    name: "pod anti-affinity topologyKey with a space",
    spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "Bad Key" }] } } },
    field: "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
    message: "topologyKey must be a label key",
  },
  {
    name: "matchLabelKeys without a labelSelector",
    spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "zone", matchLabelKeys: ["app"] }] } } },
    field: "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector",
    message: "need a labelSelector",
  },
  { name: "image with a trailing space", spec: { image: "dittofs/dittofs " }, field: "spec.image", message: "leading or trailing whitespace" },
  // --- NetworkPolicies ---
  { name: "networkPolicy.enabled not a boolean", spec: { networkPolicy: { enabled: "no" } }, field: "spec.networkPolicy.enabled", message: "must be of type boolean" },
  { name: "networkPolicy with an unknown field", spec: { networkPolicy: { allowAll: true } }, field: "spec.networkPolicy.allowAll", message: "unknown field" },
  { name: "empty apiFrom peer", spec: { networkPolicy: { apiFrom: [{}] } }, field: "spec.networkPolicy.apiFrom[0]", message: "need podSelector, namespaceSelector or ipBlock" },
  {
    name: "apiFrom ipBlock with a selector",
    spec: { networkPolicy: { apiFrom: [{ ipBlock: { cidr: "10.0.0.0/8" }, namespaceSelector: {} }] } },
    field: "spec.networkPolicy.apiFrom[0].ipBlock",
    message: "ipBlock cannot be combined with podSelector or namespaceSelector",
  },
  { name: "apiFrom cidr not a CIDR", spec: { networkPolicy: { apiFrom: [{ ipBlock: { cidr: "10.0.0.0" } }] } }, field: "spec.networkPolicy.apiFrom[0].ipBlock.cidr", message: "must be a CIDR" },
  { name: "apiFrom cidr with host bits", spec: { networkPolicy: { apiFrom: [{ ipBlock: { cidr: "10.1.2.3/16" } }] } }, field: "spec.networkPolicy.apiFrom[0].ipBlock.cidr", message: "host bits zero" },
  {
    name: "apiFrom except outside cidr",
    spec: { networkPolicy: { apiFrom: [{ ipBlock: { cidr: "10.0.0.0/16", except: ["10.1.0.0/24"] } }] } },
    field: "spec.networkPolicy.apiFrom[0].ipBlock.except",
    message: "strictly inside cidr",
  },
  {
    name: "apiFrom except equal to cidr",
    spec: { networkPolicy: { apiFrom: [{ ipBlock: { cidr: "10.0.0.0/16", except: ["10.0.0.0/16"] } }] } },
    field: "spec.networkPolicy.apiFrom[0].ipBlock.except",
    message: "strictly inside cidr",
  },
  {
    name: "apiFrom selector with a bad label key",
    spec: { networkPolicy: { apiFrom: [{ podSelector: { matchExpressions: [{ key: "-bad", operator: "Exists" }] } }] } },
    field: "spec.networkPolicy.apiFrom[0].podSelector.matchExpressions[0].key",
    message: "key must be a label key",
  },
  { name: "monitoringNamespace not a namespace name", spec: { networkPolicy: { monitoringNamespace: "Monitoring" } }, field: "spec.networkPolicy.monitoringNamespace", message: "must be a namespace name" },
];
