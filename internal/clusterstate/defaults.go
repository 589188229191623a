package clusterstate

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// DefaultPodSpec fills in what the API server defaults in a pod spec, as a
// dump shows it: restart and DNS policy, scheduler, an empty security
// context, the grace period, volume modes, and for every container its
// termination message, pull policy, port protocols, probe timings and
// fieldRef versions.
func DefaultPodSpec(s *corev1.PodSpec) {
	orDefault(&s.RestartPolicy, corev1.RestartPolicyAlways)
	orDefault(&s.DNSPolicy, corev1.DNSClusterFirst)
	orDefault(&s.SchedulerName, corev1.DefaultSchedulerName)
	orDefaultPtr(&s.SecurityContext, corev1.PodSecurityContext{})
	orDefaultPtr(&s.TerminationGracePeriodSeconds, 30)
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
	for _, v := range s.Volumes {
		if v.ConfigMap != nil {
			orDefaultPtr(&v.ConfigMap.DefaultMode, 0o644)
		}
		if v.Secret != nil {
			orDefaultPtr(&v.Secret.DefaultMode, 0o644)
		}
	}
}

func defaultContainer(ct *corev1.Container) {
	orDefault(&ct.TerminationMessagePath, corev1.TerminationMessagePathDefault)
	orDefault(&ct.TerminationMessagePolicy, corev1.TerminationMessageReadFile)
	pull := corev1.PullIfNotPresent
	if !strings.Contains(imageTail(ct.Image), ":") || strings.HasSuffix(ct.Image, ":latest") {
		pull = corev1.PullAlways
	}
	orDefault(&ct.ImagePullPolicy, pull)
	for i := range ct.Ports {
		orDefault(&ct.Ports[i].Protocol, corev1.ProtocolTCP)
	}
	for _, p := range []*corev1.Probe{ct.ReadinessProbe, ct.LivenessProbe, ct.StartupProbe} {
		if p == nil {
			continue
		}
		orDefault(&p.TimeoutSeconds, 1)
		orDefault(&p.PeriodSeconds, 10)
		orDefault(&p.SuccessThreshold, 1)
		orDefault(&p.FailureThreshold, 3)
		if p.HTTPGet != nil {
			orDefault(&p.HTTPGet.Scheme, corev1.URISchemeHTTP)
		}
	}
	for _, e := range ct.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			orDefault(&e.ValueFrom.FieldRef.APIVersion, "v1")
		}
	}
}

// orDefault sets *field to value when it is unset (zero).
func orDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// orDefaultPtr points *field at value when it is nil.
func orDefaultPtr[T any](field **T, value T) {
	if *field == nil {
		*field = &value
	}
}

// KubeletImage writes an image the way the kubelet reports it in a
// container status: docker.io/library/nginx:1.27 for nginx:1.27, with
// :latest when it names no tag or digest.
func KubeletImage(image string) string {
	first, _, hasSlash := strings.Cut(image, "/")
	switch {
	case !hasSlash:
		image = "docker.io/library/" + image
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		image = "docker.io/" + image
	}
	if !strings.Contains(imageTail(image), ":") && !strings.Contains(image, "@") {
		image += ":latest"
	}
	return image
}

// imageTail is the image reference after its registry host, so a port in
// the host is not taken for a tag.
func imageTail(image string) string {
	if i := strings.LastIndex(image, "/"); i >= 0 {
		return image[i+1:]
	}
	return image
}
