{{/*
The name of every object of the release. "hopscope" alone when the release
is named hopscope, so that one install per cluster reads like the kustomize
base.
*/}}
{{- define "hopscope.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains "hopscope" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-hopscope" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
The labels that select the watcher's pod. app.kubernetes.io/name is always
"hopscope": the ServiceMonitor takes the Prometheus job from it, and the
HopscopeWatcherDown alert looks for up{job="hopscope"}.
*/}}
{{- define "hopscope.selectorLabels" -}}
app.kubernetes.io/name: hopscope
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: watch
{{- end -}}

{{- define "hopscope.labels" -}}
{{ include "hopscope.selectorLabels" . }}
{{- /* The chart's appVersion, not image.tag: a tag can hold characters
(or a length) a label value may not. */}}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "hopscope.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "hopscope.fullname" .) -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The container's resources: .Values.resources when set, else the measured
size of .Values.clusterSize (see values.yaml).
*/}}
{{- define "hopscope.resources" -}}
{{- if .Values.resources -}}
{{- toYaml .Values.resources -}}
{{- else -}}
{{- $size := required (printf "clusterSize %q is not one of %s" .Values.clusterSize (keys .Values.clusterSizes | sortAlpha | join ", ")) (get .Values.clusterSizes .Values.clusterSize) -}}
{{- toYaml $size.resources -}}
{{- end -}}
{{- end -}}

{{/*
GOMEMLIMIT for the Go runtime: .Values.goMemLimit when set, else 90% of the
container's memory limit, so that the garbage collector works harder as the
heap nears the limit instead of the kernel killing the process. Empty when
there is no memory limit.
*/}}
{{- define "hopscope.goMemLimit" -}}
{{- if .Values.goMemLimit -}}
{{- .Values.goMemLimit -}}
{{- else -}}
{{- $limit := dig "limits" "memory" "" (include "hopscope.resources" . | fromYaml) | toString -}}
{{- if $limit -}}
{{- $mib := 0 -}}
{{- if regexMatch "^[0-9]+Mi$" $limit -}}
{{- $mib = trimSuffix "Mi" $limit | atoi -}}
{{- else if regexMatch "^[0-9]+Gi$" $limit -}}
{{- $mib = mul (trimSuffix "Gi" $limit | atoi) 1024 -}}
{{- else -}}
{{- fail (printf "resources.limits.memory %q: write it in Mi or Gi, or set goMemLimit" $limit) -}}
{{- end -}}
{{- printf "%dMiB" (div (mul $mib 9) 10) -}}
{{- end -}}
{{- end -}}
{{- end -}}
