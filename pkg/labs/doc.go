// Package labs is hopscope's catalog of broken Kubernetes networking labs and
// the code that runs them on a cluster.
//
// Each lab is a folder embedded in the binary (catalog/NN-slug/): lab.yaml
// holds the scenario, the commands to observe it, the finding the diagnosis
// engine must report (check ID and object), hints in increasing detail, the
// solution, a verify command and an interview question; broken/ holds the
// namespace-less manifests `hopscope lab start` applies into the lab's own
// namespace hopscope-lab-<id>, and fix/ the manifests that repair it.
//
//	lab, _ := labs.Get("1")
//	objs, _ := lab.BrokenObjects() // placed in hopscope-lab-1
//
// Cluster operations (start, fix, reset) go through Cluster, which refuses
// to write to any namespace the lab does not own. Judge decides from a
// diagnosis whether a lab is solved.
package labs
