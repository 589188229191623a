package testenv

import (
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// componentClient is the connection of one in-process component (the
// controllers, the kubelet stand-in, the admin client that seeds and breaks
// labs): a copy of base with the component's user agent, so that the API
// server's logs say who called, and rate limits sized for its bulk work.
// client-go's default of 5 requests/s would make a 600-object setup take
// two minutes.
func componentClient(base *rest.Config, userAgent string, qps float32, burst int) (*rest.Config, *kubernetes.Clientset, error) {
	cfg := rest.CopyConfig(base)
	cfg.QPS, cfg.Burst = qps, burst
	cfg.UserAgent = userAgent
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, client, nil
}

// discoveryMapper is cfg's discovery client and a REST mapper over a
// memory cache of it. The cache does not see kinds registered after it
// filled: Reset the mapper then.
func discoveryMapper(cfg *rest.Config) (*discovery.DiscoveryClient, *restmapper.DeferredDiscoveryRESTMapper, error) {
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	return disc, restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)), nil
}
