package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hopscope/hopscope/pkg/labs"
)

// LabSummary is one lab in list_labs, as in `hopscope lab list -o json`.
type LabSummary = labs.Summary

// LabList is the reply of list_labs.
type LabList struct {
	Labs []LabSummary `json:"labs"`
	Page Page         `json:"page"`
}

// ListLabsInput are the arguments of list_labs.
type ListLabsInput struct {
	Difficulty string `json:"difficulty,omitempty" jsonschema:"list only labs of this difficulty: beginner, intermediate or advanced"`
	Cursor     string `json:"cursor,omitempty" jsonschema:"page.cursor of the previous reply to the same arguments: returns the next page"`
}

// ShowLabInput are the arguments of show_lab.
type ShowLabInput struct {
	ID     string `json:"id" jsonschema:"the lab's ID or slug, as list_labs names it"`
	Reveal string `json:"reveal,omitempty" jsonschema:"how much of the answer to include: none (the default: the briefing only, as hopscope lab show), hints, or solution (hints, root cause, fix and verify)"`
}

// LabBriefing is the reply of show_lab: the briefing of `hopscope lab
// show`, and the hints and solution only when asked for, so that an
// assistant coaching a learner does not give the answer away.
type LabBriefing struct {
	LabSummary
	Namespaces []string `json:"namespaces"`
	Scenario   string   `json:"scenario"`
	Symptoms   []string `json:"symptoms"`
	// Observe are the commands a learner runs to see the symptoms.
	Observe []string `json:"observe"`
	// Commands start, check and repair the lab with hopscope.
	Commands []string     `json:"commands"`
	Hints    []string     `json:"hints,omitempty"`
	Solution *LabSolution `json:"solution,omitempty"`
	// Hidden says what this reply leaves out and how to get it.
	Hidden string `json:"hidden,omitempty"`
}

// LabSolution is the answer of a lab.
type LabSolution struct {
	Layer     string   `json:"layer"`
	RootCause string   `json:"rootCause"`
	Check     string   `json:"check"`
	Object    string   `json:"object"`
	FixSteps  []string `json:"fixSteps"`
	Verify    string   `json:"verify"`
	// Source is the public report the lab is modelled on, when it names
	// one: shown with the solution, since the report gives the answer away.
	Source string `json:"source,omitempty"`
}

func (t *tools) listLabs(_ context.Context, _ *mcp.CallToolRequest, in ListLabsInput) (*mcp.CallToolResult, *LabList, error) {
	pos, err := decodeCursor(in.Cursor, queryKey("list_labs", in.Difficulty))
	if err != nil {
		return nil, nil, err
	}
	catalog, err := labs.Catalog()
	if err != nil {
		return nil, nil, err
	}
	all := []LabSummary{}
	for _, l := range catalog {
		if in.Difficulty == "" || l.Difficulty == in.Difficulty {
			all = append(all, l.Summary())
		}
	}
	if len(all) == 0 && in.Difficulty != "" {
		return nil, nil, fmt.Errorf("no lab of difficulty %q: the difficulties are %s", clip(in.Difficulty, 64), strings.Join(labs.Difficulties, ", "))
	}
	reply := &LabList{}
	reply.Labs, reply.Page, err = pageOf(t, all, pos, func(items []LabSummary, p Page) any { return &LabList{Labs: items, Page: p} })
	if err != nil {
		return nil, nil, err
	}
	return textResult(reply), reply, nil
}

func (t *tools) showLab(_ context.Context, _ *mcp.CallToolRequest, in ShowLabInput) (*mcp.CallToolResult, *LabBriefing, error) {
	l, err := labs.Get(in.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("%s", clip(err.Error(), 512))
	}
	b := &LabBriefing{
		LabSummary: l.Summary(),
		Namespaces: l.Namespaces(),
		Scenario:   strings.TrimSpace(l.Scenario),
		Symptoms:   l.Symptoms,
		Observe:    l.Observe,
		Commands: []string{
			"hopscope lab start " + l.ID,
			"hopscope lab check " + l.ID,
			"hopscope lab hint " + l.ID,
			"hopscope lab reset " + l.ID,
		},
	}
	switch in.Reveal {
	case "", "none":
		b.Hidden = "hints and solution: call show_lab with reveal hints or solution once the learner asks for them"
	case "hints":
		b.Hints = l.Hints
		b.Hidden = "solution: call show_lab with reveal solution"
	case "solution":
		b.Hints = l.Hints
		obj := l.Expect.Kind + "/" + l.ExpectedNamespace() + "/" + l.Expect.Name
		b.Solution = &LabSolution{Layer: l.Layer, RootCause: strings.TrimSpace(l.Solution), Check: l.Expect.Reported(),
			Object: obj, FixSteps: l.FixSteps, Verify: l.Verify, Source: l.Source}
	default:
		return nil, nil, fmt.Errorf("reveal %q: want none, hints or solution", clip(in.Reveal, 64))
	}
	if size := sizeOf(b); size > t.budgetBytes() {
		return nil, nil, fmt.Errorf("lab %s's briefing takes %d tokens, more than the budget of %d: start the server with a larger --budget", l.ID, tokensIn(size), t.cfg.Budget)
	}
	return textResult(b), b, nil
}
