{{/* The chart's name, or nameOverride. */}}
{{- define "clari-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object names: the release name when it already holds the chart's name. */}}
{{- define "clari-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "clari-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clari-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "clari-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "clari-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: clari-exporter
{{- end }}

{{- define "clari-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "clari-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "clari-exporter.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The mode, validated once: every template reads it through here. */}}
{{- define "clari-exporter.mode" -}}
{{- if not (has .Values.mode (list "single" "ha")) }}
{{- fail (printf "mode must be single or ha, got %q" .Values.mode) }}
{{- end }}
{{- .Values.mode }}
{{- end }}

{{/* Paths inside the pod. */}}
{{- define "clari-exporter.configDir" -}}/etc/clari_exporter/config{{- end }}
{{- define "clari-exporter.secretDir" -}}/etc/clari_exporter/secrets{{- end }}
{{- define "clari-exporter.dataDir" -}}/var/lib/clari_exporter{{- end }}

{{/*
The exporter's configuration: .Values.config with what the chart owns laid
over it (the key file, the environment, storage, the warehouse DSN's
variable). A key of config the chart owns is overwritten, never merged.
*/}}
{{- define "clari-exporter.config" -}}
{{- $cfg := deepCopy .Values.config }}
{{- $clari := deepCopy (default dict $cfg.clari) }}
{{- $_ := unset $clari "api_key" }}
{{- $_ := unset $clari "api_key_env" }}
{{- $_ := set $clari "api_key_file" (printf "%s/api-key" (include "clari-exporter.secretDir" .)) }}
{{- $_ := set $clari "environment" .Values.clari.environment }}
{{- $_ := set $cfg "clari" $clari }}
{{- if eq (include "clari-exporter.mode" .) "ha" }}
{{- $_ := set $cfg "storage" (dict "driver" "postgres" "dsn_env" "CLARI_STORAGE_DSN") }}
{{- else }}
{{- $_ := set $cfg "storage" (dict "driver" "sqlite" "path" (printf "%s/clari_exporter.db" (include "clari-exporter.dataDir" .))) }}
{{- end }}
{{- if $cfg.warehouse }}
{{- $wh := deepCopy $cfg.warehouse }}
{{- $_ := unset $wh "dsn" }}
{{- $_ := unset $wh "dsn_file" }}
{{- $_ := set $wh "dsn_env" "CLARI_WAREHOUSE_DSN" }}
{{- $_ := set $cfg "warehouse" $wh }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}
