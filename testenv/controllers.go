package testenv

import (
	"context"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/kubernetes/pkg/controller/deployment"
	"k8s.io/kubernetes/pkg/controller/endpoint"
	"k8s.io/kubernetes/pkg/controller/endpointslice"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
	"k8s.io/kubernetes/pkg/controller/namespace"
	"k8s.io/kubernetes/pkg/controller/replicaset"
)

// controlPlane is the part of kube-controller-manager a networking
// diagnosis depends on, all fed by one shared informer factory:
//   - endpoints and EndpointSlice controllers: they decide, exactly as in a
//     real cluster, which pods back a Service (selector, readiness, Node);
//   - deployment and replicaset controllers: Deployments make pods;
//   - garbage collector and namespace controller: `kubectl delete
//     deployment` takes its pods along and `kubectl delete namespace`
//     finishes, as users expect.
//
// Not run: the scheduler (the kubelet stand-in binds pods), node lifecycle
// (Nodes never turn NotReady), service-account, job, cronjob, statefulset
// and daemonset controllers (those workloads get no pods here).
type controlPlane struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	shared informers.SharedInformerFactory
	meta   metadatainformer.SharedInformerFactory
}

// Controller worker counts are kube-controller-manager's defaults, except
// where a smaller number is plenty for a one-machine cluster.
const (
	endpointWorkers   = 5
	sliceWorkers      = 5
	deploymentWorkers = 5
	replicaSetWorkers = 5
	gcWorkers         = 5
	namespaceWorkers  = 2
	// maxEndpointsPerSlice is kube-controller-manager's default.
	maxEndpointsPerSlice = 100
)

func startControllers(parent context.Context, admin *rest.Config) (*controlPlane, error) {
	cfg, client, err := componentClient(admin, "hopscope-lab-controllers", 500, 1000)
	if err != nil {
		return nil, fmt.Errorf("controllers: %w", err)
	}
	mdClient, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("controllers: %w", err)
	}
	disc, mapper, err := discoveryMapper(cfg)
	if err != nil {
		return nil, fmt.Errorf("controllers: %w", err)
	}

	ctx, cancel := context.WithCancel(parent)
	p := &controlPlane{
		cancel: cancel,
		shared: informers.NewSharedInformerFactory(client, 0),
		meta:   metadatainformer.NewSharedInformerFactory(mdClient, 0),
	}
	core := p.shared.Core().V1()
	apps := p.shared.Apps().V1()

	ep := endpoint.NewEndpointController(ctx, core.Pods(), core.Services(), core.Endpoints(), client, 0)
	slices := endpointslice.NewController(ctx, core.Pods(), core.Services(), core.Nodes(),
		p.shared.Discovery().V1().EndpointSlices(), maxEndpointsPerSlice, client, 0)
	deploy, err := deployment.NewDeploymentController(ctx, apps.Deployments(), apps.ReplicaSets(), core.Pods(), client)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("deployment controller: %w", err)
	}
	rs := replicaset.NewReplicaSetController(ctx, apps.ReplicaSets(), core.Pods(), client, replicaset.BurstReplicas)

	started := make(chan struct{})
	gc, err := garbagecollector.NewGarbageCollector(ctx, client, mdClient, mapper,
		garbagecollector.DefaultIgnoredResources(), informerfactory.NewInformerFactory(p.shared, p.meta), started)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("garbage collector: %w", err)
	}
	ns := namespace.NewNamespaceController(ctx, client, mdClient, disc.ServerPreferredNamespacedResources,
		core.Namespaces(), 5*time.Minute, v1.FinalizerKubernetes)

	p.run(func() { ep.Run(ctx, endpointWorkers) })
	p.run(func() { slices.Run(ctx, sliceWorkers) })
	p.run(func() { deploy.Run(ctx, deploymentWorkers) })
	p.run(func() { rs.Run(ctx, replicaSetWorkers) })
	p.run(func() { gc.Run(ctx, gcWorkers, 30*time.Second) })
	p.run(func() { gc.Sync(ctx, disc, 30*time.Second) })
	p.run(func() { ns.Run(ctx, namespaceWorkers) })
	p.run(func() { wait.Until(mapper.Reset, 30*time.Second, ctx.Done()) })

	p.shared.Start(ctx.Done())
	p.meta.Start(ctx.Done())
	close(started)
	return p, nil
}

func (p *controlPlane) run(f func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
}

// stop cancels every controller and waits for them and their informers.
func (p *controlPlane) stop() {
	p.cancel()
	p.wg.Wait()
	p.shared.Shutdown()
	p.meta.Shutdown()
}
