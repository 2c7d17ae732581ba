package static

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestStaticBinary builds nl2tp as "make static" does and checks that the
// result is a static executable: no program interpreter, no dynamic
// section, no needed libraries, no symbol table.
func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("checks a Linux ELF binary")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build with")
		}
	}
	out := filepath.Join(t.TempDir(), "nl2tp")
	// The same command as the Makefile's static target.
	cmd := exec.Command(gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "github.com/nl2tp/nl2tp/cmd/nl2tp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC {
		t.Errorf("ELF type %v, want ET_EXEC (a position-dependent static executable)", f.Type)
	}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			t.Error("binary has a PT_INTERP program header: it needs a dynamic loader")
		case elf.PT_DYNAMIC:
			t.Error("binary has a PT_DYNAMIC program header")
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Error("binary has a .dynamic section")
	}
	if s := f.Section(".interp"); s != nil {
		t.Error("binary has an .interp section")
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) != 0 {
		t.Errorf("DT_NEEDED libraries %v (err %v), want none", libs, err)
	}
	if s := f.Section(".symtab"); s != nil {
		t.Error("binary has a .symtab section: symbols were not stripped")
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("static nl2tp: %d bytes (%.2f MiB)", fi.Size(), float64(fi.Size())/(1<<20))
	// A guard against accidental bloat (a new dependency pulling in
	// net/http, say); the goal is 2 MB.
	const limit = 3 << 20
	if fi.Size() > limit {
		t.Errorf("static nl2tp is %d bytes, more than %d", fi.Size(), limit)
	}
}
