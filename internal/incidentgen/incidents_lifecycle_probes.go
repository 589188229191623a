package incidentgen

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// startupProbeIncidents are startup probes naming a port their container
// does not define: the probe errors, errored results are discarded, and
// the container never counts as started.
func startupProbeIncidents() []Incident {
	return []Incident{
		{
			Name:  "startup-probe-port-only-on-sidecar",
			Check: "container-probe-port", Layer: "container",
			Source:  "https://github.com/nextcloud/helm/issues/63",
			Summary: "with the nginx sidecar enabled, the chart's startup probe still names port http on the php-fpm container: never started, never ready",
			Story: `Nextcloud runs as php-fpm behind an nginx sidecar. The chart's startup probe is not guarded by
nginx.enabled like the other probes, so it stays on the nextcloud container and names port http,
which only the nginx container declares. The kubelet resolves a probe's named port among the probed
container's ports only: "Startup probe errored: strconv.Atoi: parsing "http": invalid syntax".
Errored results are discarded, so the container never counts as started, its pod never becomes
Ready, and the Service has no endpoint.`,
			Build: func(c *Cluster) {
				fpm := corev1.Container{Name: "nextcloud", Image: "nextcloud:20.0.4-fpm",
					StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/status.php", Port: intstr.FromString("http")}},
						InitialDelaySeconds: 30, PeriodSeconds: 10, FailureThreshold: 30}}
				nginx := web("nextcloud-nginx", "nginx:1.19-alpine", 80, "/status.php")
				c.deploymentWithService(App{Namespace: "nextcloud", Name: "nextcloud", Labels: labels("app.kubernetes.io/name", "nextcloud", "app.kubernetes.io/component", "app"),
					Containers: []corev1.Container{fpm, nginx}, States: []PodState{NeverStarted("nextcloud", `strconv.Atoi: parsing "http": invalid syntax`)}},
					NamedPort("http", 8080, "http"))
				c.ExpectObject(PodRef(c.firstPod("nextcloud", "nextcloud-")))
			},
		},
		{
			Name:  "startup-probe-port-renamed-streaming",
			Check: "container-probe-port", Layer: "container",
			Source:  "https://github.com/mastodon/chart/pull/140",
			Summary: "a chart release added a startup probe on port http to the streaming container, whose only port is streaming: streaming pods never become ready",
			Story: `A Mastodon chart release added startup probes. The streaming container declares one port, named
streaming (4000), but its new startup probe asks for port http. The kubelet cannot resolve the
name, the probe errors instead of failing, and the container never counts as started: the
streaming pods stay Running 0/1 and the streaming Service loses every endpoint, so timelines stop
updating live.`,
			Build: func(c *Cluster) {
				health := func() *corev1.Probe { return HTTPProbe("/api/v1/streaming/health", intstr.FromString("streaming")) }
				streaming := corev1.Container{Name: "mastodon", Image: "ghcr.io/mastodon/mastodon-streaming:v4.2.10",
					Command: []string{"node", "./streaming"}, Ports: []corev1.ContainerPort{ContainerPort("streaming", 4000)},
					LivenessProbe: health(), ReadinessProbe: health(),
					StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/api/v1/streaming/health", Port: intstr.FromString("http")}},
						InitialDelaySeconds: 5, PeriodSeconds: 5, FailureThreshold: 15}}
				pl := labels("app.kubernetes.io/name", "mastodon", "app.kubernetes.io/instance", "mastodon", "app.kubernetes.io/component", "streaming")
				errored := NeverStarted("mastodon", `strconv.Atoi: parsing "http": invalid syntax`)
				c.deploymentWithService(App{Namespace: "mastodon", Name: "mastodon-streaming", Labels: pl, Replicas: 2,
					Containers: []corev1.Container{streaming}, States: []PodState{errored, errored}}, NamedPort("streaming", 4000, "streaming"))
				c.ExpectObject(PodRef(c.firstPod("mastodon", "mastodon-streaming-")))
			},
		},
	}
}
