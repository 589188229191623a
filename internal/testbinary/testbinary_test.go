package testbinary

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindReturnsTheFirstProgramOnPath(t *testing.T) {
	// A program of the test's own, first on PATH, so that the test runs
	// everywhere instead of depending on what the machine has installed.
	dir := t.TempDir()
	want := filepath.Join(dir, "hopscope-testbinary-program")
	if err := os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	if got := Find(t, "HOPSCOPE_TESTBINARY_REQUIRE", "written by the test", "hopscope-no-such-program", "hopscope-testbinary-program"); got != want {
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
