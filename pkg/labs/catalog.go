package labs

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// catalogFS holds one folder per lab: lab.yaml, broken/ and fix/. Files in a
// subfolder of broken/ or fix/ belong to the lab's extra namespace of that
// name (hopscope-lab-<id>-<sub>).
//
//go:embed all:catalog
var catalogFS embed.FS

// NamespacePrefix starts the name of every namespace a lab owns.
const NamespacePrefix = "hopscope-lab-"

// ManagedByLabel marks namespaces created by `hopscope lab start`; the lab
// commands refuse to write to or delete a namespace without it.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "hopscope-lab"
	// LabLabel names the lab a namespace belongs to.
	LabLabel = "hopscope.dev/lab"
)

// Difficulties a lab may declare, from easiest.
var Difficulties = []string{"beginner", "intermediate", "advanced"}

// Lab is one broken scenario a learner starts, diagnoses, fixes and checks.
type Lab struct {
	// ID is the short name used on the command line (`hopscope lab start 1`)
	// and in the lab's namespace; it never changes once published.
	ID   string `json:"id"`
	Slug string `json:"slug"`
	// Title names the fault as a learner would search for it.
	Title      string `json:"title"`
	Difficulty string `json:"difficulty"`
	// SeedLab is the number of the lab in the seed article this one comes
	// from (1-5), or 0 for labs beyond the article.
	SeedLab int `json:"seedLab,omitempty"`
	// Layer is where the fault sits; `lab check` names the layer still
	// broken, never the fault.
	Layer    string   `json:"layer"`
	Scenario string   `json:"scenario"`
	Symptoms []string `json:"symptoms"`
	// Observe are the commands a learner runs to see the symptoms.
	Observe []string    `json:"observe"`
	Expect  Expectation `json:"expect"`
	// Offline is true when the diagnosis of the broken manifests alone
	// (no cluster) reports the expected finding first; OfflineWhy says why
	// not otherwise.
	Offline    bool   `json:"offline"`
	OfflineWhy string `json:"offlineWhy,omitempty"`
	// Needs lists what `lab check` reads beyond the declared state, for a
	// fault only the cluster's behaviour shows: NeedLogs (the bounded logs
	// of failing containers, GET pods/log) and NeedProbe (level-0 probes of
	// every path, GET through the API server's proxy). Both are reads; a
	// lab without them costs its check no such request.
	Needs []string `json:"needs,omitempty"`
	// Simulated says what the local cluster's kubelet stand-in plays for
	// this lab (the pod annotations hopscope.dev/app and hopscope.dev/logs)
	// and what shows the same fault on another cluster. Required when the
	// manifests carry those annotations.
	Simulated string   `json:"simulated,omitempty"`
	Hints     []string `json:"hints"`
	Solution  string   `json:"solution"`
	// FixSteps are what a person would type to repair the lab.
	FixSteps  []string  `json:"fixSteps"`
	Verify    string    `json:"verify"`
	Interview Interview `json:"interview"`
	// Source is the public report the scenario is modelled on (an issue or
	// pull request), shown with the solution since it names the fault.
	Source    string   `json:"source,omitempty"`
	WhenToUse []string `json:"whenToUse,omitempty"`
	Pros      []string `json:"pros,omitempty"`
	Cons      []string `json:"cons,omitempty"`
	// ClusterWide labs break something outside their namespace (CoreDNS);
	// ClusterBreak says what, and reset undoes it.
	ClusterWide  bool          `json:"clusterWide,omitempty"`
	ClusterBreak *ClusterBreak `json:"clusterBreak,omitempty"`
	// Tolerate lists findings that say something true about the cluster the
	// lab runs on rather than about the lab (a LoadBalancer stays <pending>
	// where nothing provisions load balancers): they are shown as notes and
	// never keep the lab unsolved.
	Tolerate []Toleration `json:"tolerate,omitempty"`
	// ExtraNamespaces are suffixes of further namespaces the lab owns:
	// "orders" is hopscope-lab-<id>-orders.
	ExtraNamespaces []string `json:"extraNamespaces,omitempty"`

	// Broken are the manifests `lab start` applies; Fix are applied on top
	// of them to repair the lab (objects with the same kind and name are
	// replaced).
	Broken []Manifest `json:"-"`
	Fix    []Manifest `json:"-"`
}

// Expectation is what hopscope must report for the broken lab: a
// root-cause finding (Check), or, for a fault that only traffic shows, a
// level-0 probe that fails where the declared state says the path works
// (Probe and Outcome); with the object it names. Namespace is empty for the
// lab's own namespace. For a workload, a finding or probe on one of its
// pods counts too (a live cluster names pods, manifests name the workload).
type Expectation struct {
	Check     string                `json:"check,omitempty"`
	Probe     diagnose.ProbeTest    `json:"probe,omitempty"`
	Outcome   diagnose.ProbeOutcome `json:"outcome,omitempty"`
	Kind      string                `json:"kind"`
	Namespace string                `json:"namespace,omitempty"`
	Name      string                `json:"name"`
}

// Reported names what hopscope reports for the broken lab: the check's
// ID, or the probe and its outcome ("probe pod-http refused").
func (e Expectation) Reported() string {
	if e.Probe != "" {
		return fmt.Sprintf("probe %s %s", e.Probe, e.Outcome)
	}
	return e.Check
}

// What `lab check` may read beyond the declared state (Lab.Needs).
const (
	NeedLogs  = "logs"
	NeedProbe = "probe"
)

// NeedsLogs reports whether `lab check` reads the logs of failing
// containers for this lab.
func (l *Lab) NeedsLogs() bool { return slices.Contains(l.Needs, NeedLogs) }

// NeedsProbe reports whether `lab check` probes the lab's paths at level 0.
func (l *Lab) NeedsProbe() bool { return slices.Contains(l.Needs, NeedProbe) }

// NeedsText says in words what `lab check` does for the lab beyond reading
// the declared state ("reads ... and probes ..."), for `lab show` and the
// docs; "" when nothing.
func (l *Lab) NeedsText() string {
	var parts []string
	if l.NeedsLogs() {
		parts = append(parts, "reads the logs of failing containers (GET pods/log)")
	}
	if l.NeedsProbe() {
		parts = append(parts, "probes every path at level 0 (GET through the API server's proxy)")
	}
	return strings.Join(parts, " and ")
}

// Interview is the lab's interview question, asked by `hopscope quiz` as a
// multiple choice.
type Interview struct {
	Question string   `json:"question"`
	Choices  []string `json:"choices"`
	// Correct is the index of the right choice.
	Correct int    `json:"correct"`
	Answer  string `json:"answer"`
}

// Toleration is one finding a lab does not hold against the learner.
type Toleration struct {
	Check string `json:"check"`
	Why   string `json:"why"`
}

// ClusterBreak is a change outside the lab's namespace.
type ClusterBreak struct {
	ScaleDeployment *ScaleTarget `json:"scaleDeployment,omitempty"`
}

// ScaleTarget scales one Deployment.
type ScaleTarget struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Replicas  int32  `json:"replicas"`
}

// Manifest is one YAML file of a lab with the namespace it goes to.
type Manifest struct {
	// Path is relative to the lab's folder, e.g. "broken/api.yaml".
	Path      string
	Namespace string
	Data      []byte
}

// Namespace is the lab's own namespace.
func (l *Lab) Namespace() string { return NamespacePrefix + l.ID }

// Namespaces lists every namespace the lab owns, its own first.
func (l *Lab) Namespaces() []string {
	out := []string{l.Namespace()}
	for _, x := range l.ExtraNamespaces {
		out = append(out, l.Namespace()+"-"+x)
	}
	return out
}

// Summary is what a learner may know of a lab before starting it (no
// fault, no solution): one lab in `hopscope lab list -o json` and in the
// MCP server's list_labs.
type Summary struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	Title       string `json:"title"`
	Difficulty  string `json:"difficulty"`
	SeedLab     int    `json:"seedLab,omitempty"`
	Namespace   string `json:"namespace"`
	ClusterWide bool   `json:"clusterWide"`
}

// Summary returns the lab's Summary.
func (l *Lab) Summary() Summary {
	return Summary{ID: l.ID, Slug: l.Slug, Title: l.Title, Difficulty: l.Difficulty,
		SeedLab: l.SeedLab, Namespace: l.Namespace(), ClusterWide: l.ClusterWide}
}

// ExpectedNamespace is the namespace of the expected finding's object.
func (l *Lab) ExpectedNamespace() string {
	if l.Expect.Namespace != "" {
		return l.Expect.Namespace
	}
	return l.Namespace()
}

var (
	loadOnce sync.Once
	loaded   []*Lab
	loadErr  error
)

// Catalog returns every lab in ID order. The catalog is embedded in the
// binary and validated once; an error here is a bug in the catalog, which
// the package's tests catch before release.
func Catalog() ([]*Lab, error) {
	loadOnce.Do(func() { loaded, loadErr = load(catalogFS, "catalog") })
	return loaded, loadErr
}

// Get returns the lab with that ID or slug.
func Get(idOrSlug string) (*Lab, error) {
	all, err := Catalog()
	if err != nil {
		return nil, err
	}
	key := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(idOrSlug)), NamespacePrefix)
	for _, l := range all {
		if l.ID == key || l.Slug == key {
			return l, nil
		}
	}
	ids := make([]string, len(all))
	for i, l := range all {
		ids[i] = l.ID
	}
	return nil, fmt.Errorf("no lab %q: `hopscope lab list` shows the labs (IDs %s)", idOrSlug, strings.Join(ids, ", "))
}

// SeedFile is one broken manifest of a seed lab, ready for
// source.DecodeBytes(s, f.Name, f.Data, f.Namespace).
type SeedFile struct {
	Name      string
	Namespace string
	Data      []byte
}

// SeedBroken returns the broken manifests of the labs that come from the seed
// article and whose fault shows without a cluster, each in its lab's
// namespace, so that `hopscope demo` can diagnose them offline.
func SeedBroken() ([]SeedFile, error) {
	all, err := Catalog()
	if err != nil {
		return nil, err
	}
	var out []SeedFile
	for _, l := range all {
		if l.SeedLab == 0 || !l.Offline {
			continue
		}
		for _, m := range l.Broken {
			out = append(out, SeedFile{Name: "lab-" + l.ID + "-" + l.Slug + "/" + m.Path, Namespace: m.Namespace, Data: m.Data})
		}
	}
	return out, nil
}

// load reads and validates every lab folder below root.
func load(fsys fs.FS, root string) ([]*Lab, error) {
	dirs, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("read lab catalog: %w", err)
	}
	var out []*Lab
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		l, err := loadLab(fsys, path.Join(root, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("lab folder %s: %w", d.Name(), err)
		}
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool { return idLess(out[i].ID, out[j].ID) })
	if err := validateCatalog(out); err != nil {
		return nil, err
	}
	return out, nil
}

// idLess orders numeric IDs numerically ("2" before "10").
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func loadLab(fsys fs.FS, dir string) (*Lab, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, "lab.yaml"))
	if err != nil {
		return nil, err
	}
	l := &Lab{}
	if err := yaml.UnmarshalStrict(data, l); err != nil {
		return nil, fmt.Errorf("lab.yaml: %w", err)
	}
	if l.Broken, err = manifests(fsys, dir, "broken", l); err != nil {
		return nil, err
	}
	if l.Fix, err = manifests(fsys, dir, "fix", l); err != nil {
		return nil, err
	}
	if err := validateLab(l); err != nil {
		return nil, fmt.Errorf("lab %s: %w", l.ID, err)
	}
	return l, nil
}

// manifests reads the YAML files below dir/sub; files in a subfolder go to
// the extra namespace of that name.
func manifests(fsys fs.FS, dir, sub string, l *Lab) ([]Manifest, error) {
	root := path.Join(dir, sub)
	var out []Manifest
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
			return fmt.Errorf("%s: only .yaml files belong in %s/", p, sub)
		}
		rel := strings.TrimPrefix(p, dir+"/")
		ns := l.Namespace()
		if parts := strings.Split(strings.TrimPrefix(p, root+"/"), "/"); len(parts) == 2 {
			ns = l.Namespace() + "-" + parts[0]
		} else if len(parts) > 2 {
			return fmt.Errorf("%s: nested too deep (use %s/<file> or %s/<extra-namespace>/<file>)", rel, sub, sub)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		out = append(out, Manifest{Path: rel, Namespace: ns, Data: data})
		return nil
	})
	return out, err
}

var (
	idPattern   = regexp.MustCompile(`^[1-9][0-9]*$`)
	slugPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// nsFlag finds the namespace given to a kubectl command in a lab's text.
	nsFlag = regexp.MustCompile(`(?:^|\s)(?:-n|--namespace)[ =]([a-z0-9-]+)`)
)

// validateLab checks that a lab is complete: every field a learner reads is
// filled in, the manifests are well formed and namespace-less, and the
// commands it prints stay in its own namespaces (or the system namespaces
// they observe).
func validateLab(l *Lab) error {
	var problems []string
	need := func(ok bool, what string) {
		if !ok {
			problems = append(problems, what)
		}
	}
	need(idPattern.MatchString(l.ID), "id must be a positive number")
	need(slugPattern.MatchString(l.Slug), "slug must be lower-case words joined by '-'")
	need(l.Title != "", "title is required")
	need(slices.Contains(Difficulties, l.Difficulty), "difficulty must be one of "+strings.Join(Difficulties, ", "))
	need(l.SeedLab >= 0 && l.SeedLab <= 5, "seedLab must be 1-5 or absent")
	need(slices.Contains(layers, l.Layer), "layer must be one of "+strings.Join(layers, ", "))
	need(strings.TrimSpace(l.Scenario) != "", "scenario is required")
	need(len(l.Symptoms) > 0, "symptoms are required")
	need(len(l.Observe) > 0, "observe commands are required")
	need((l.Expect.Check != "") != (l.Expect.Probe != "") && l.Expect.Kind != "" && l.Expect.Name != "", "expect needs a check or a probe, with kind and name")
	if l.Expect.Probe != "" {
		need(l.NeedsProbe(), "a lab that expects a probe needs: [probe]")
		need(l.Expect.Probe == diagnose.ProbeTestPodHTTP || l.Expect.Probe == diagnose.ProbeTestServiceHTTP,
			"expect.probe must be a level-0 test: pod-http or service-http")
		need(l.Expect.Outcome.Failed(), "expect.outcome must be an outcome that shows traffic failing (refused, timeout, ...)")
	}
	for _, n := range l.Needs {
		need(n == NeedLogs || n == NeedProbe, "needs may list only "+NeedLogs+" and "+NeedProbe)
	}
	need(l.Simulated != "" || !carriesStandInAnnotations(l), "simulated is required when manifests carry "+strings.Join(standInAnnotations, " or "))
	need(l.Offline || l.OfflineWhy != "", "offlineWhy is required when offline is false")
	need(len(l.Hints) >= 3, "at least three hints, in increasing detail")
	need(strings.TrimSpace(l.Solution) != "", "solution is required")
	need(len(l.FixSteps) > 0, "fixSteps are required")
	need(l.Verify != "", "verify is required")
	need(l.Interview.Question != "" && strings.TrimSpace(l.Interview.Answer) != "", "interview needs question and answer")
	need(len(l.Interview.Choices) >= 3 && l.Interview.Correct >= 0 && l.Interview.Correct < len(l.Interview.Choices),
		"interview needs at least three choices and a correct index among them")
	need(l.Source == "" || strings.HasPrefix(l.Source, "https://"), "source must be an https:// address")
	need(l.ClusterWide == (l.ClusterBreak != nil), "clusterWide and clusterBreak go together")
	need(len(l.Broken) > 0, "broken/ must hold at least one manifest")
	need(len(l.Fix) > 0 || l.ClusterBreak != nil, "fix/ must hold at least one manifest (only a cluster-wide lab is fixed outside its namespace)")
	if cb := l.ClusterBreak; cb != nil {
		need(cb.ScaleDeployment != nil && cb.ScaleDeployment.Namespace != "" && cb.ScaleDeployment.Name != "",
			"clusterBreak.scaleDeployment needs namespace and name")
	}
	for _, tol := range l.Tolerate {
		need(tol.Check != "" && tol.Why != "", "tolerate needs check and why")
		need(tol.Check != l.Expect.Check, "a lab cannot tolerate its own expected finding")
	}
	for _, x := range l.ExtraNamespaces {
		need(slugPattern.MatchString(x), "extra namespace "+x+" must be a DNS label")
	}
	allowedNS := append(l.Namespaces(), "kube-system", "ingress-nginx")
	for _, cmd := range append(append(append([]string{}, l.Observe...), l.FixSteps...), l.Verify) {
		for _, m := range nsFlag.FindAllStringSubmatch(cmd, -1) {
			need(slices.Contains(allowedNS, m[1]), fmt.Sprintf("command %q uses namespace %s, which the lab does not own", cmd, m[1]))
		}
	}
	for _, set := range [][]Manifest{l.Broken, l.Fix} {
		for _, m := range set {
			if err := validateManifest(m, l); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// layers are the diagnosis layers a lab's fault can sit in (the JSON
// contract's names).
var layers = []string{"exposure", "gateway", "route", "ingress", "service", "endpoints", "networkpolicy", "pod", "container", "node", "dns"}

// clusterScopedKinds may not appear in a lab: `lab start` only writes into
// the lab's own namespaces. A GatewayClass is among them: the lab Gateways
// name LabGatewayClass, which the cluster provides (see prerequisites.go).
var clusterScopedKinds = []string{"Namespace", "Node", "IngressClass", "GatewayClass", "ClusterRole", "ClusterRoleBinding",
	"CustomResourceDefinition", "PersistentVolume", "StorageClass", "PriorityClass",
	"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}

// controllerUnavailable is the finding every Gateway gets where no Gateway
// API controller serves its class, as on the local cluster: a lab with a
// Gateway must tolerate it, or it could never pass there.
const controllerUnavailable = "gateway-controller-unavailable"

func validateManifest(m Manifest, l *Lab) error {
	docs, err := Objects(m)
	if err != nil {
		return err
	}
	if len(docs) == 0 {
		return fmt.Errorf("%s holds no object", m.Path)
	}
	for _, o := range docs {
		switch {
		case o.GetAPIVersion() == "" || o.GetKind() == "" || o.GetName() == "":
			return fmt.Errorf("%s: every object needs apiVersion, kind and metadata.name", m.Path)
		case o.GetNamespace() != "":
			return fmt.Errorf("%s: %s/%s sets metadata.namespace; lab manifests are namespace-less (the lab decides)", m.Path, o.GetKind(), o.GetName())
		case slices.Contains(clusterScopedKinds, o.GetKind()):
			return fmt.Errorf("%s: %s is cluster-scoped; labs only write into their own namespaces", m.Path, o.GetKind())
		case o.GroupVersionKind().Group == GatewayAPIGroup && o.GetKind() == "Gateway":
			if class, _, _ := unstructured.NestedString(o.Object, "spec", "gatewayClassName"); class != LabGatewayClass {
				return fmt.Errorf("%s: Gateway %s names GatewayClass %q; lab Gateways name %s, the class the local cluster provides", m.Path, o.GetName(), class, LabGatewayClass)
			}
			if !l.tolerates(controllerUnavailable) {
				return fmt.Errorf("%s: a lab with a Gateway tolerates %s: no controller runs on the local cluster", m.Path, controllerUnavailable)
			}
		}
	}
	return nil
}

// standInAnnotations make the local cluster's kubelet stand-in play an
// app's behaviour (testenv's AppAnnotation and LogsAnnotation); a real
// kubelet ignores them, so a lab using them says what does the same on
// another cluster (Lab.Simulated).
var standInAnnotations = []string{"hopscope.dev/app", "hopscope.dev/logs"}

// carriesStandInAnnotations reports whether a pod template or pod in the
// lab's manifests carries one of standInAnnotations (or a per-container
// hopscope.dev/logs.<container>).
func carriesStandInAnnotations(l *Lab) bool {
	for _, set := range [][]Manifest{l.Broken, l.Fix} {
		for _, m := range set {
			objs, err := Objects(m)
			if err != nil {
				continue // validateManifest reports it
			}
			for _, o := range objs {
				ann, _, _ := unstructured.NestedStringMap(o.Object, "spec", "template", "metadata", "annotations")
				if o.GetKind() == "Pod" {
					ann = o.GetAnnotations()
				}
				for k := range ann {
					for _, a := range standInAnnotations {
						if k == a || strings.HasPrefix(k, a+".") {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// validateCatalog checks what spans labs: unique IDs and slugs.
func validateCatalog(all []*Lab) error {
	ids, slugs := map[string]bool{}, map[string]bool{}
	for _, l := range all {
		if ids[l.ID] {
			return fmt.Errorf("lab ID %s is used twice", l.ID)
		}
		if slugs[l.Slug] {
			return fmt.Errorf("lab slug %s is used twice", l.Slug)
		}
		ids[l.ID], slugs[l.Slug] = true, true
	}
	if len(all) == 0 {
		return fmt.Errorf("the lab catalog is empty")
	}
	return nil
}
