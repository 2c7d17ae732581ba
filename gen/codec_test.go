package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodecs compiles the files generated from the installed
// header, with the hand-written test testdata/codec/codec_test.go.txt, in a
// temporary module that holds nothing else of package l2tp, then vets and
// tests them. The test checks the wire bytes of the put/get helpers against
// literals, the errors for bad payloads, String and the wire-type tables.
func TestGeneratedCodecs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a temporary module; skipped in -short mode")
	}
	src := installedHeader(t)
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	files, err := generate(src)
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pkg := filepath.Join(dir, "l2tp")
	if err := os.Mkdir(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	test, err := os.ReadFile("testdata/codec/codec_test.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	files["codec_test.go"] = test
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(pkg, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gomod := "module nl2tpcodectest\n\ngo 1.26\n\nrequire github.com/nl2tp/nl2tp v0.0.0\n\nreplace github.com/nl2tp/nl2tp => " + root + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s in a module of the generated files: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("go %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
}
