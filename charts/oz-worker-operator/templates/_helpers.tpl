{{/* The release's full name: the release name when it already says oz-worker. */}}
{{- define "oz-worker.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "oz-worker" .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "oz-worker.name" -}}
{{- default "oz-worker" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The labels that select the release's worker pods. */}}
{{- define "oz-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "oz-worker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "oz-worker.labels" -}}
{{ include "oz-worker.selectorLabels" . }}
app.kubernetes.io/part-of: oz-worker-operator
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "oz-worker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "oz-worker.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: name the existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "oz-worker.apiKeySecretName" -}}
{{- default (printf "%s-api-key" (include "oz-worker.fullname" .)) .Values.warp.apiKeySecret.name -}}
{{- end -}}

{{/* The worker container's resources: the value, else the backend's. */}}
{{- define "oz-worker.resources" -}}
{{- if .Values.worker.resources -}}
{{- toYaml .Values.worker.resources -}}
{{- else if eq .Values.backend.type "direct" -}}
requests:
  cpu: "1"
  memory: 2Gi
limits:
  cpu: "4"
  memory: 8Gi
{{- else -}}
requests:
  cpu: 100m
  memory: 256Mi
limits:
  cpu: "1"
  memory: 512Mi
{{- end -}}
{{- end -}}

{{/* The pod's security context: the value, else the backend's. */}}
{{- define "oz-worker.podSecurityContext" -}}
{{- if .Values.worker.podSecurityContext -}}
{{- toYaml .Values.worker.podSecurityContext -}}
{{- else -}}
{{- if eq .Values.backend.type "direct" }}
runAsNonRoot: false
runAsUser: 0
runAsGroup: 0
{{- else }}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
{{- end }}
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- if eq .Values.backend.type "docker" }}
supplementalGroups: [{{ .Values.backend.docker.socketGroup }}]
{{- end }}
{{- end -}}
{{- end -}}

{{/* The worker container's security context: the value, else the backend's. */}}
{{- define "oz-worker.securityContext" -}}
{{- if .Values.worker.securityContext -}}
{{- toYaml .Values.worker.securityContext -}}
{{- else -}}
{{- if eq .Values.backend.type "direct" }}
runAsNonRoot: false
runAsUser: 0
{{- end }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
  {{- if eq .Values.backend.type "direct" }}
  add: ["SETUID", "SETGID", "CHOWN", "KILL", "DAC_OVERRIDE", "FOWNER"]
  {{- end }}
{{- end -}}
{{- end -}}
