package testbinary

import (
	"os/exec"
	"testing"
)

func TestFindReturnsTheFirstProgramOnPath(t *testing.T) {
	want, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	if got := Find(t, "HOPSCOPE_TESTBINARY_REQUIRE", "the Go toolchain", "hopscope-no-such-program", "go"); got != want {
		t.Errorf("Find = %q, want %q", got, want)
	}
}

func TestFindSkipsWhenNotRequired(t *testing.T) {
	t.Setenv("HOPSCOPE_TESTBINARY_REQUIRE", "")
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Find(t, "HOPSCOPE_TESTBINARY_REQUIRE", "nowhere", "hopscope-no-such-program")
		t.Error("Find returned for a missing program")
	})
	if !skipped {
		t.Error("a missing program that is not required did not skip the test")
	}
}
