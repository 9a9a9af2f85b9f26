/** `spec.identity`: JWT signing, the admin bootstrap password, LDAP and Kerberos. */
import { Type } from "@sinclair/typebox";
import { DEFAULTS } from "../defaults.ts";
import { cel, DataKey, Duration, ObjectName, SecretKeyRef, StringEnum } from "./helpers.ts";

const Text = (description: string, maxLength = 256) => Type.String({ description, maxLength });
const Flag = (description: string) => Type.Optional(Type.Boolean({ description }));

export const JwtSpecSchema = Type.Object(
  {
    secretRef: Type.Optional(
      SecretKeyRef(
        "Secret key holding the JWT signing secret (at least 32 characters). When omitted the operator generates " +
          "one in the Secret <name>-jwt-secret.",
      ),
    ),
    accessTokenDuration: Duration("Lifetime of API access tokens (Go duration, h/m/s units).", {
      default: DEFAULTS.identity.jwt.accessTokenDuration,
    }),
    refreshTokenDuration: Duration("Lifetime of API refresh tokens (Go duration, h/m/s units).", {
      default: DEFAULTS.identity.jwt.refreshTokenDuration,
    }),
  },
  { description: "JWT settings of the DittoFS control-plane API." },
);

export const AdminSpecSchema = Type.Object(
  {
    passwordSecretRef: Type.Optional(
      SecretKeyRef(
        "Secret key holding the cleartext initial password of the built-in `admin` account. When omitted the " +
          "operator generates one in the Secret <name>-admin-bootstrap-credentials.",
      ),
    ),
  },
  { description: "Bootstrap of the built-in `admin` account (the account name is always `admin`)." },
);

export const LdapSpecSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: "Authenticate users against this LDAP directory.", default: DEFAULTS.identity.ldap.enabled }),
    url: Type.String({ description: "Directory URL, ldap://host:port or ldaps://host:port.", maxLength: 512, pattern: "^ldaps?://.+" }),
    startTLS: Flag("Upgrade an ldap:// connection with StartTLS. Not allowed with ldaps:// URLs."),
    allowPlaintext: Flag("Allow binds over an unencrypted ldap:// connection (neither ldaps:// nor startTLS)."),
    baseDN: Text("Base DN of user and group searches, e.g. dc=example,dc=com.", 1024),
    bindDN: Text("DN the server binds as for searches.", 1024),
    bindPasswordSecretRef: Type.Optional(SecretKeyRef("Secret key holding the bind DN's password.")),
    userAttr: Type.Optional(Text("Attribute matching the login name, e.g. uid or sAMAccountName.", 128)),
    realm: Type.Optional(Text("Realm appended to user names.", 253)),
    idmap: Type.Optional(StringEnum(["rfc2307", "rid"], { description: "How UIDs/GIDs are derived: rfc2307 attributes or Active Directory RIDs." })),
    nestedGroups: Flag("Resolve nested group membership."),
    caCertFile: Type.Optional(
      Text(
        "Path inside the pod of a CA bundle already in the image for the directory's certificate. For a private CA use " +
          "caCertSecretRef instead. Mutually exclusive with caCertSecretRef.",
        1024,
      ),
    ),
    caCertSecretRef: Type.Optional(
      Type.Object(
        {
          name: ObjectName("Name of the Secret, in the DittoServer's namespace."),
          key: DataKey(`Key inside the Secret's data holding the PEM CA bundle. Default "${DEFAULTS.identity.ldap.caCertSecretRef.key}".`, {
            default: DEFAULTS.identity.ldap.caCertSecretRef.key,
          }),
        },
        {
          description:
            "Secret key holding the PEM CA bundle of a private CA that signed the directory's certificate; mounted read-only " +
            "into the pod (ldap.tls.ca_cert_file). A change of the CA restarts the pod. Mutually exclusive with caCertFile.",
        },
      ),
    ),
    insecureSkipVerify: Flag("Skip verification of the directory's certificate. For testing only."),
  },
  {
    description:
      "LDAP directory used for user authentication. First boot only: DittoFS v0.29.0 copies these settings and the bind " +
      "password into its control-plane database when it first starts, and afterwards the stored values win. Later edits " +
      "here (or of the bind password Secret) restart the pod but are ignored by the server; this operator version does " +
      "not call the DittoFS API, so change a running server with PUT /api/v1/identity-providers/ldap/config (as admin) too.",
    ...cel(
      {
        rule: "!(has(self.startTLS) && self.startTLS && self.url.startsWith('ldaps://'))",
        message: "startTLS applies to ldap:// URLs only; an ldaps:// connection is already encrypted",
        fieldPath: ".startTLS",
      },
      {
        rule: "!(has(self.caCertFile) && has(self.caCertSecretRef))",
        message: "set caCertFile (a path in the pod) or caCertSecretRef (a Secret with the CA, mounted by the operator), not both",
        fieldPath: ".caCertSecretRef",
      },
    ),
  },
);

export const MachineAccountSpecSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: "Join as an Active Directory machine account.", default: DEFAULTS.identity.kerberos.machineAccount.enabled }),
    accountName: Type.Optional(Text("sAMAccountName of the machine account, e.g. DITTOFS$.", 64)),
    secretRef: Type.Optional(SecretKeyRef("Secret key holding the machine account password.")),
    keytabSecretRef: Type.Optional(SecretKeyRef("Secret key holding the machine account keytab.")),
    dcAddress: Type.Optional(
      Type.Array(Type.String({ maxLength: 253 }), { description: "Domain controller addresses (host or host:port).", maxItems: 8 }),
    ),
  },
  {
    description: "Active Directory machine account used by the SMB adapter.",
    ...cel(
      {
        rule: "!self.enabled || has(self.accountName)",
        message: "accountName is required when the machine account is enabled",
        reason: "FieldValueRequired",
        fieldPath: ".accountName",
      },
      {
        rule: "!self.enabled || has(self.secretRef) || has(self.keytabSecretRef)",
        message: "an enabled machine account needs secretRef (password) or keytabSecretRef",
        reason: "FieldValueRequired",
      },
    ),
  },
);

export const KerberosSpecSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: "Enable Kerberos authentication (NFS RPCSEC_GSS, SMB).", default: DEFAULTS.identity.kerberos.enabled }),
    servicePrincipal: Type.Optional(Text("Service principal, e.g. nfs/files.example.com@EXAMPLE.COM. Required when enabled.", 512)),
    realm: Type.Optional(Text("Kerberos realm; derived from the principal's @REALM when omitted.", 253)),
    netbiosDomain: Type.Optional(Text("NetBIOS domain name.", 15)),
    dnsDomain: Type.Optional(Text("DNS domain; the lower-cased realm when omitted.", 253)),
    krb5Conf: Type.Optional(
      Text(
        "Path inside the pod of a krb5.conf (a file already in the image or on a volume). Kerberos needs this or " +
          "krb5ConfSecretRef: the image has no /etc/krb5.conf. Mutually exclusive with krb5ConfSecretRef.",
        1024,
      ),
    ),
    keytabSecretRef: Type.Optional(SecretKeyRef("Secret key holding the service keytab. Required when enabled.")),
    krb5ConfSecretRef: Type.Optional(
      SecretKeyRef("Secret key holding a krb5.conf, mounted into the pod. Kerberos needs this or krb5Conf: the image has no /etc/krb5.conf."),
    ),
    machineAccount: Type.Optional(MachineAccountSpecSchema),
  },
  {
    description:
      "Kerberos settings. First boot only: DittoFS v0.29.0 copies them (principal, realm, domains, machine account) into " +
      "its control-plane database when it first starts, and afterwards the stored values win; only the mounted keytab " +
      "and krb5.conf files are re-read. Later edits restart the pod but are ignored by the server; this operator version " +
      "does not call the DittoFS API, so change a running server with PUT /api/v1/identity-providers/kerberos/config (as admin) too.",
    ...cel(
      {
        rule: "!self.enabled || has(self.servicePrincipal)",
        message: "servicePrincipal is required when kerberos is enabled",
        reason: "FieldValueRequired",
        fieldPath: ".servicePrincipal",
      },
      {
        rule: "!self.enabled || has(self.keytabSecretRef)",
        message: "keytabSecretRef is required when kerberos is enabled",
        reason: "FieldValueRequired",
        fieldPath: ".keytabSecretRef",
      },
      {
        // dfs falls back to /etc/krb5.conf, which the image does not have, and exits at start-up.
        rule: "!self.enabled || has(self.krb5Conf) || has(self.krb5ConfSecretRef)",
        message:
          "kerberos.enabled requires krb5ConfSecretRef (a Secret key holding a krb5.conf, mounted into the pod) or krb5Conf " +
          "(a path to one inside the pod): the server image has no /etc/krb5.conf and the server exits without one",
        reason: "FieldValueRequired",
        fieldPath: ".krb5ConfSecretRef",
      },
      {
        rule: "!(has(self.krb5Conf) && has(self.krb5ConfSecretRef))",
        message: "set krb5Conf (a path in the pod) or krb5ConfSecretRef (a Secret), not both",
        fieldPath: ".krb5Conf",
      },
    ),
  },
);

export const IdentitySpecSchema = Type.Object(
  {
    jwt: Type.Optional(JwtSpecSchema),
    admin: Type.Optional(AdminSpecSchema),
    ldap: Type.Optional(LdapSpecSchema),
    kerberos: Type.Optional(KerberosSpecSchema),
  },
  { description: "Authentication and identity settings of the file server." },
);
