{{- define "dittofs-operator.labels" -}}
app.kubernetes.io/name: dittofs-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "dittofs-operator.selector" -}}
app.kubernetes.io/name: dittofs-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "dittofs-operator.fullname" -}}
{{- if eq .Release.Name "dittofs-operator" }}dittofs-operator{{ else }}{{ printf "%s-dittofs-operator" .Release.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}
