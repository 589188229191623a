package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/labs/labstest"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

func TestLabList(t *testing.T) {
	out, errOut, code := run(t, "", "lab", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	all, _ := labs.Catalog()
	for _, l := range all {
		if !strings.Contains(out, l.Title) {
			t.Errorf("lab list lacks lab %s (%s)", l.ID, l.Title)
		}
	}
	if !strings.Contains(out, "whole cluster") {
		t.Error("lab list does not mark the cluster-wide lab")
	}

	out, _, code = run(t, "", "lab", "list", "-o", "json")
	var got []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != len(all) {
		t.Fatalf("lab list -o json: exit %d, %d labs:\n%s", code, len(got), out)
	}
	for _, l := range got {
		for _, spoiler := range []string{"expect", "solution", "hints"} {
			if _, ok := l[spoiler]; ok {
				t.Errorf("lab list -o json gives away %q", spoiler)
			}
		}
	}
}

// TestLabShowKeepsTheAnswer: the briefing names symptoms and commands, never
// the root cause.
func TestLabShowKeepsTheAnswer(t *testing.T) {
	all, _ := labs.Catalog()
	for _, l := range all {
		out, errOut, code := run(t, "", "lab", "show", l.ID)
		if code != 0 {
			t.Fatalf("lab show %s: exit %d %s", l.ID, code, errOut)
		}
		if !strings.Contains(out, l.Observe[0]) || !strings.Contains(out, l.Symptoms[0]) {
			t.Errorf("lab show %s lacks its symptoms or observe commands", l.ID)
		}
		for _, spoiler := range []string{l.Expect.Reported(), l.Hints[len(l.Hints)-1], strings.SplitN(strings.TrimSpace(l.Solution), "\n", 2)[0]} {
			if strings.Contains(out, spoiler) {
				t.Errorf("lab show %s gives away %q", l.ID, spoiler)
			}
		}
	}
}

func TestLabUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lab", "show", "99"}, "hopscope lab list"},
		{[]string{"lab", "start", "1", "-n", "default"}, "refusing --namespace default"},
		{[]string{"lab", "check", "1", "--namespace", "kube-system"}, "refusing --namespace kube-system"},
		{[]string{"lab", "reset", "1", "-n", "prod"}, "refusing --namespace prod"},
		{[]string{"lab", "solution", "1", "--apply", "-n", "prod"}, "refusing --namespace prod"},
		{[]string{"lab", "hint", "1", "--level", "9"}, "has hints 1 to"},
		{[]string{"lab", "check", "1", "-o", "xml"}, "--output"},
		{[]string{"lab", "start"}, "accepts 1 arg"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Setenv(labs.StateDirEnv, t.TempDir())
			_, errOut, code := run(t, "", tc.args...)
			if code != ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 mentioning %q", code, errOut, tc.want)
			}
		})
	}
}

func TestLabHintProgresses(t *testing.T) {
	t.Setenv(labs.StateDirEnv, t.TempDir())
	l, _ := labs.Get("1")
	for i, h := range l.Hints {
		out, _, code := run(t, "", "lab", "hint", "1")
		if code != 0 || !strings.Contains(out, h) || !strings.Contains(out, "Hint "+strconv.Itoa(i+1)+" of") {
			t.Fatalf("hint call %d: exit %d\n%s", i+1, code, out)
		}
	}
	out, _, _ := run(t, "", "lab", "hint", "1")
	if !strings.Contains(out, "That was the last hint") || !strings.Contains(out, "hopscope lab solution 1") {
		t.Fatalf("after the last hint:\n%s", out)
	}
	out, _, _ = run(t, "", "lab", "hint", "1", "--level", "1")
	if !strings.Contains(out, l.Hints[0]) {
		t.Fatalf("--level 1:\n%s", out)
	}
	// Another lab's hints start from the first.
	l2, _ := labs.Get("2")
	out, _, _ = run(t, "", "lab", "hint", "2")
	if !strings.Contains(out, l2.Hints[0]) {
		t.Fatalf("lab 2's first hint:\n%s", out)
	}
}

func TestLabSolution(t *testing.T) {
	l, _ := labs.Get("4")
	out, _, code := run(t, "", "lab", "solution", "4")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	wantAll(t, "solution", out, l.Expect.Check, l.FixSteps[0], l.Verify, l.Interview.Question, "--apply", "When to use", l.Pros[0])
}

func streamsFor(in string) (genericiooptions.IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return genericiooptions.IOStreams{In: strings.NewReader(in), Out: &out, ErrOut: &errOut}, &out, &errOut
}

func TestLabStartRefusals(t *testing.T) {
	l1, _ := labs.Get("1")
	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hopscope-lab-1"}}
	streams, out, _ := streamsFor("")
	o := &LabStartOptions{LabClusterOptions: LabClusterOptions{IOStreams: streams, Globals: &Globals{}, Lab: l1, Cluster: labstest.NewCluster(foreign).Cluster}}
	err := o.Run(context.Background())
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "refusing to touch it") || out.Len() != 0 {
		t.Fatalf("start into a foreign namespace: exit %d, %v, stdout %q", ExitCode(err), err, out)
	}

	l5, _ := labs.Get("5")
	streams, _, _ = streamsFor("")
	o = &LabStartOptions{LabClusterOptions: LabClusterOptions{IOStreams: streams, Globals: &Globals{}, Lab: l5, Cluster: labstest.NewCluster().Cluster}}
	err = o.Run(context.Background())
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--i-know-this-breaks-cluster-dns") {
		t.Fatalf("cluster-wide lab on a cluster that is not local: exit %d, %v", ExitCode(err), err)
	}

	// A Gateway API lab on a cluster without the Gateway API: exit 2 with
	// what is missing, not an apply error.
	l18, _ := labs.Get("18")
	streams, out, _ = streamsFor("")
	o = &LabStartOptions{LabClusterOptions: LabClusterOptions{IOStreams: streams, Globals: &Globals{}, Lab: l18, Cluster: labstest.NewCluster().Cluster}}
	err = o.Run(context.Background())
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "lacks the Gateway API") || out.Len() != 0 {
		t.Fatalf("Gateway API lab on a cluster without it: exit %d, %v, stdout %q", ExitCode(err), err, out)
	}
}

// offlineDiagnosis stands in for the live read in tests of the check
// command's verdict and wording: it diagnoses the lab's manifests.
func offlineDiagnosis(t *testing.T, objs []labs.PlacedObject) func(context.Context) (*snapshot.Snapshot, *diagnose.Result, error) {
	t.Helper()
	return func(context.Context) (*snapshot.Snapshot, *diagnose.Result, error) {
		return diagnosetest.LabObjects(objs)
	}
}

// withStreams is the lab cluster options o writing to streams, for one
// command of a test.
func withStreams(o LabClusterOptions, streams genericiooptions.IOStreams) LabClusterOptions {
	o.IOStreams = streams
	return o
}

func TestLabCheckVerdicts(t *testing.T) {
	l, _ := labs.Get("1")
	broken, _ := l.BrokenObjects()
	fixed, _ := l.FixedObjects()
	running := LabClusterOptions{Globals: &Globals{}, Lab: l, Cluster: labstest.NewCluster(l.OwnedNamespace("hopscope-lab-1")).Cluster}

	streams, out, _ := streamsFor("")
	o := &LabCheckOptions{LabClusterOptions: withStreams(running, streams), Output: "text", Diagnose: offlineDiagnosis(t, broken)}
	err := o.Run(context.Background())
	if ExitCode(err) != ExitFindings || !strings.Contains(out.String(), "FAIL  lab 1") || !strings.Contains(out.String(), "Still broken at the service layer") {
		t.Fatalf("broken lab: exit %d\n%s", ExitCode(err), out)
	}
	if strings.Contains(out.String(), l.Expect.Check) || strings.Contains(out.String(), "api-v1") {
		t.Fatalf("check without --explain gives the answer away:\n%s", out)
	}

	streams, out, _ = streamsFor("")
	o = &LabCheckOptions{LabClusterOptions: withStreams(running, streams), Output: "text", Explain: true, Diagnose: offlineDiagnosis(t, broken)}
	_ = o.Run(context.Background())
	if !strings.Contains(out.String(), l.Expect.Check) || !strings.Contains(out.String(), "fix:") {
		t.Fatalf("--explain does not explain:\n%s", out)
	}

	streams, out, _ = streamsFor("")
	o = &LabCheckOptions{LabClusterOptions: withStreams(running, streams), Output: "json", Diagnose: offlineDiagnosis(t, fixed)}
	if err := o.Run(context.Background()); err != nil {
		t.Fatalf("fixed lab: %v\n%s", err, out)
	}
	var v struct {
		Solved       bool `json:"solved"`
		FaultPresent bool `json:"faultPresent"`
	}
	if json.Unmarshal(out.Bytes(), &v) != nil || !v.Solved || v.FaultPresent {
		t.Fatalf("fixed lab verdict:\n%s", out)
	}
}

func TestLabCheckNotStarted(t *testing.T) {
	l, _ := labs.Get("2")
	streams, _, _ := streamsFor("")
	o := &LabCheckOptions{LabClusterOptions: LabClusterOptions{IOStreams: streams, Globals: &Globals{}, Lab: l, Cluster: labstest.NewCluster().Cluster}, Output: "text",
		Diagnose: func(context.Context) (*snapshot.Snapshot, *diagnose.Result, error) {
			t.Fatal("a lab that is not running must not be diagnosed")
			return nil, nil, nil
		}}
	err := o.Run(context.Background())
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "hopscope lab start 2") {
		t.Fatalf("exit %d: %v", ExitCode(err), err)
	}
}

// TestLabCommandsTimeOutOnASilentServer: a server that accepts and never
// answers must not hang `lab start`: without --request-timeout each request
// gets the default bound, and the command fails naming the server.
func TestLabCommandsTimeOutOnASilentServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	saved := labRequestTimeout
	labRequestTimeout = 500 * time.Millisecond
	defer func() { labRequestTimeout = saved }()
	t.Setenv(labs.StateDirEnv, t.TempDir())
	start := time.Now()
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "+srv.URL+"}}]\n"+
		"users: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "lab", "start", "1", "--kubeconfig", kubeconfig)
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Fatalf("lab start took %s against a silent server", elapsed)
	}
	if code == ExitOK || !strings.Contains(errOut, "127.0.0.1") {
		t.Errorf("exit %d, stderr %q: want a failure naming the server", code, errOut)
	}
}
