package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/pkg/advise"
	"github.com/hopscope/hopscope/pkg/safetext"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// AdviseOptions is `hopscope advise`: the seed article's decision matrix.
// With needs flags it recommends a Service type; with -f or --cluster it
// reviews every exposed Service against the matrix; with neither it asks.
type AdviseOptions struct {
	genericiooptions.IOStreams
	Globals *Globals

	// Needs are the needs flags; the protocol comes from HTTP, TCP and
	// GRPC, one flag each.
	Needs advise.Needs
	HTTP  bool
	TCP   bool
	GRPC  bool

	Files         []string
	Cluster       bool
	AllNamespaces bool
	Output        string

	// Filled in by Complete.
	mode         adviseMode
	namespaces   []string
	loadSnapshot func(ctx context.Context) (*snapshot.Snapshot, error)
}

type adviseMode int

const (
	adviseAsk adviseMode = iota
	adviseRecommend
	adviseReview
)

func newAdviseCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AdviseOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "advise",
		Short: "Which Service type fits? The decision matrix as advice, or a review of existing Services",
		Long: `The decision matrix:

  Internal traffic               → ClusterIP
  External production traffic    → Ingress
  Split roles, header or weight
  routing, gRPC/TCP/UDP routes   → Gateway API
  Cloud simple exposure          → LoadBalancer
  Debug only                     → NodePort

With flags describing the traffic, advise recommends one with reasons, pros and cons.
Without flags it asks (for HTTP traffic from outside also: gRPC? a platform team owning the
entry point? header or weight routing? — the answers that lead to Gateway API). With -f (manifests) or --cluster (the current kubectl context) it
reviews every exposed Service against the matrix, and names the Ingresses whose
controller-specific annotations would not carry over to Gateway API as they are.
Advice is not a diagnosis: the exit code stays 0.`,
		Example: `  hopscope advise --external --production --http
  hopscope advise --external --production --role-split --advanced-routing
  hopscope advise --internal
  hopscope advise                         # answer a few questions
  hopscope advise -f k8s/                  # review manifests
  hopscope advise --cluster -A             # review the cluster, read-only`,
		Args: cobra.NoArgs,
		RunE: runE(o.Run, o.Complete, o.Validate),
	}
	f := cmd.Flags()
	f.BoolVar(&o.Needs.Internal, "internal", false, "only workloads inside the cluster call the Service")
	f.BoolVar(&o.Needs.External, "external", false, "clients outside the cluster call the Service")
	f.BoolVar(&o.Needs.Production, "production", false, "it carries production traffic")
	f.BoolVar(&o.Needs.CloudLB, "cloud-lb", false, "the cluster can provision load balancers (a cloud, or MetalLB)")
	f.BoolVar(&o.Needs.Debug, "debug", false, "temporary access for debugging only")
	f.BoolVar(&o.HTTP, "http", false, "the Service speaks HTTP(S)")
	f.BoolVar(&o.TCP, "tcp", false, "the Service speaks another protocol (TCP/UDP, not HTTP)")
	f.BoolVar(&o.GRPC, "grpc", false, "the Service speaks gRPC")
	f.BoolVar(&o.Needs.RoleSplit, "role-split", false, "a platform team runs the entry point, application teams own their routes")
	f.BoolVar(&o.Needs.AdvancedRouting, "advanced-routing", false, "routing by header or method, or traffic split by weight (canaries)")
	f.StringSliceVarP(&o.Files, "filename", "f", nil, "review the Services in these manifests (files, directories, - for stdin)")
	f.BoolVar(&o.Cluster, "cluster", false, "review the Services of the current kubectl context (read-only)")
	f.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "review every namespace (the default for files)")
	f.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

func (o *AdviseOptions) needsGiven() bool {
	return o.Needs != (advise.Needs{}) || o.HTTP || o.TCP || o.GRPC
}

// Complete decides the mode and, for a review, the source.
func (o *AdviseOptions) Complete() error {
	ns := o.Globals.namespaceFlag()
	switch {
	case len(o.Files) > 0:
		o.mode = adviseReview
		files := source.Files{Paths: o.Files, Stdin: o.In, DefaultNamespace: ns}
		o.loadSnapshot = func(context.Context) (*snapshot.Snapshot, error) { return files.Load() }
		if ns != "" && !o.AllNamespaces {
			o.namespaces = []string{ns}
		}
	case o.Cluster:
		o.mode = adviseReview
		if ns == "" && !o.AllNamespaces {
			n, _, err := o.Globals.Kube.ToRawKubeConfigLoader().Namespace()
			if err != nil {
				return &ExitError{Code: ExitUsage, Err: fmt.Errorf("read kubeconfig: %w (use -f to review files)", err)}
			}
			ns = n
		}
		live := source.Live{Flags: o.Globals.Kube, Namespace: ns, AllNamespaces: o.AllNamespaces}
		o.loadSnapshot = live.Load
		if !o.AllNamespaces {
			o.namespaces = []string{ns}
		}
	case o.needsGiven():
		o.mode = adviseRecommend
	default:
		o.mode = adviseAsk
	}
	return nil
}

// Validate rejects contradictions.
func (o *AdviseOptions) Validate() error {
	if err := validateTextOrJSON(o.Output); err != nil {
		return err
	}
	if o.mode == adviseReview && o.needsGiven() {
		return usageErrorf("review (-f or --cluster) and traffic flags (--internal, --external, ...) are separate uses of advise: pick one")
	}
	if len(o.Files) > 0 && o.Cluster {
		return usageErrorf("-f reviews files and --cluster the current cluster: pick one")
	}
	if n := countTrue(o.HTTP, o.TCP, o.GRPC); n > 1 {
		return usageErrorf("--http, --tcp and --grpc contradict each other: give one protocol")
	}
	if o.Needs.Internal && o.Needs.External {
		return usageErrorf("%v", advise.ErrContradiction)
	}
	return nil
}

// Run recommends, asks or reviews.
func (o *AdviseOptions) Run(ctx context.Context) error {
	switch o.mode {
	case adviseReview:
		return o.review(ctx)
	case adviseAsk:
		needs, err := o.ask()
		if err != nil {
			return err
		}
		return o.recommend(needs)
	}
	n := o.Needs
	switch {
	case o.HTTP:
		n.Protocol = advise.HTTP
	case o.TCP:
		n.Protocol = advise.TCP
	case o.GRPC:
		n.Protocol = advise.GRPC
	}
	if !n.Internal && !n.External && !n.Debug && (n.Production || n.CloudLB || n.Protocol != advise.Unknown || n.RoleSplit || n.AdvancedRouting) {
		// Saying "production", "cloud LB" or how the entry point routes
		// only makes sense for traffic from outside.
		n.External = true
	}
	return o.recommend(n)
}

func (o *AdviseOptions) recommend(n advise.Needs) error {
	r, err := advise.Recommend(n)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	if o.Output == "json" {
		return writeJSON(o.Out, r)
	}
	w := o.Out
	fmt.Fprintf(w, "Use %s: %s.\nMatrix row: %s → %s\n", r.Choice, r.Summary, r.Rule, r.Choice)
	printList(w, "Why", r.Reasons)
	printList(w, "Pros", r.Pros)
	printList(w, "Cons", r.Cons)
	printList(w, "Watch out", r.Caveats)
	return nil
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// ask puts the advisor's interview (advise.Interview) on the terminal,
// one line per question.
func (o *AdviseOptions) ask() (advise.Needs, error) {
	fmt.Fprintln(o.Out, "A few questions about the Service (Enter takes the default in capitals).")
	n, err := advise.Interview(terminalAsker{in: bufio.NewReader(o.In), out: o.Out})
	if err == nil {
		fmt.Fprintln(o.Out)
	}
	return n, err
}

// terminalAsker asks the interview's questions on a terminal.
type terminalAsker struct {
	in  *bufio.Reader
	out io.Writer
}

func (t terminalAsker) YesNo(q string, def bool) (bool, error) { return askYesNo(t.in, t.out, q, def) }

func (t terminalAsker) Choose(q string, choices []string) (int, error) {
	return askChoice(t.in, t.out, q, choices)
}

// errNoAnswer ends the questions when input runs out.
var errNoAnswer = errors.New("no answer (end of input): answer the questions, or describe the traffic with flags such as --internal or --external --production --http")

func readAnswer(in *bufio.Reader) (string, error) {
	line, err := in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", &ExitError{Code: ExitUsage, Err: errNoAnswer}
		}
		return "", err
	}
	return strings.ToLower(strings.TrimSpace(line)), nil
}

func askYesNo(in *bufio.Reader, out io.Writer, q string, def bool) (bool, error) {
	hint := "y/N"
	if def {
		hint = "Y/n"
	}
	for {
		fmt.Fprintf(out, "%s [%s] ", q, hint)
		ans, err := readAnswer(in)
		if err != nil {
			return false, err
		}
		switch ans {
		case "":
			return def, nil
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		fmt.Fprintln(out, "Please answer y or n.")
	}
}

func askChoice(in *bufio.Reader, out io.Writer, q string, choices []string) (int, error) {
	for {
		fmt.Fprintln(out, q)
		for i, c := range choices {
			fmt.Fprintf(out, "  %d) %s\n", i+1, c)
		}
		fmt.Fprintf(out, "Choose 1-%d: ", len(choices))
		ans, err := readAnswer(in)
		if err != nil {
			return 0, err
		}
		for i := range choices {
			if ans == fmt.Sprint(i+1) {
				return i, nil
			}
		}
		fmt.Fprintf(out, "Please answer with a number from 1 to %d.\n", len(choices))
	}
}

func (o *AdviseOptions) review(ctx context.Context) error {
	snap, err := o.loadSnapshot(ctx)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("load: %w", err)}
	}
	// Names, types and evidence come from the manifests or the cluster.
	rv := safeReview(advise.ReviewServices(snap, o.namespaces))
	if o.Output == "json" {
		if rv.Advice == nil {
			rv.Advice = []advise.Advice{}
		}
		return writeJSON(o.Out, rv)
	}
	w := o.Out
	total := 0
	var types []string
	for t, n := range rv.Types {
		total += n
		types = append(types, fmt.Sprintf("%d %s", n, t))
	}
	sort.Strings(types)
	fmt.Fprintf(w, "Reviewed %d Service(s) against the decision matrix", total)
	if len(types) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(types, ", "))
	}
	fmt.Fprintln(w, ".")
	for _, a := range rv.Advice {
		fmt.Fprintf(w, "\n• %s: %s → %s\n  %s.\n", a.Object, a.Current, a.Suggest, a.Reason)
		for _, e := range a.Evidence {
			fmt.Fprintf(w, "  · %s\n", e)
		}
		fmt.Fprintf(w, "  look: %s\n", a.Look)
	}
	for _, s := range rv.Skipped {
		fmt.Fprintf(w, "\n(skipped %s)", s)
	}
	if len(rv.Skipped) > 0 {
		fmt.Fprintln(w)
	}
	if len(rv.Advice) == 0 {
		fmt.Fprintln(w, "\nEvery exposed Service fits the matrix.")
	} else {
		fmt.Fprintf(w, "\n%d piece(s) of advice. This is advice, not a failure: the exit code stays 0.\n", len(rv.Advice))
	}
	return nil
}

// safeReview is rv with every string it quotes passed through
// safetext.Sanitize (the look commands through SanitizeLines, as the
// reports print commands), so a Service name or type cannot act on the
// reader's terminal or repeat a credential.
func safeReview(rv advise.Review) advise.Review {
	out := rv
	out.Types = make(map[string]int, len(rv.Types))
	for t, n := range rv.Types {
		// Two types can sanitize to one name; their counts add up.
		out.Types[safetext.Sanitize(t)] += n
	}
	if rv.Advice != nil {
		out.Advice = make([]advise.Advice, len(rv.Advice))
	}
	for i, a := range rv.Advice {
		// From a copy, like the report's boundary: a field added later is
		// kept, and the test that fills every field finds it unescaped.
		sa := a
		sa.Object = snapshot.ObjectRef{Kind: safetext.Sanitize(a.Object.Kind), Namespace: safetext.Sanitize(a.Object.Namespace), Name: safetext.Sanitize(a.Object.Name)}
		sa.Current = advise.Choice(safetext.Sanitize(string(a.Current)))
		sa.Suggest = advise.Choice(safetext.Sanitize(string(a.Suggest)))
		sa.Rule = safetext.Sanitize(a.Rule)
		sa.Reason = safetext.Sanitize(a.Reason)
		sa.Evidence = make([]string, len(a.Evidence))
		for j, e := range a.Evidence {
			sa.Evidence[j] = safetext.Sanitize(e)
		}
		sa.Look = safetext.SanitizeLines(a.Look)
		out.Advice[i] = sa
	}
	if rv.Skipped != nil {
		out.Skipped = make([]string, len(rv.Skipped))
		for i, s := range rv.Skipped {
			out.Skipped[i] = safetext.Sanitize(s)
		}
	}
	return out
}
