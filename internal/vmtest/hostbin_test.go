package vmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLdd(t *testing.T) {
	out := []byte(`	linux-vdso.so.1 (0x00007ffd5d3f2000)
	libmnl.so.0 => /lib/x86_64-linux-gnu/libmnl.so.0 (0x00007f5eb193c000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f5eb1736000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f5eb1ac4000)
`)
	got, err := parseLdd(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/lib/x86_64-linux-gnu/libmnl.so.0", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unexpected paths (-want +got):\n%s", diff)
	}

	if _, err := parseLdd([]byte("\tlibfoo.so.1 => not found\n")); err == nil {
		t.Error("parseLdd accepted a missing library")
	}
}

func TestHostBinary(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("no ldd on this machine")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	sh, _ = filepath.Abs(sh)
	files, err := HostBinary(sh)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files[sh]; !ok {
		t.Errorf("HostBinary(%s) lacks the program itself: %v", sh, files)
	}
	for g, h := range files {
		fi, err := os.Stat(h)
		if err != nil {
			t.Errorf("%s: host file: %v", g, err)
			continue
		}
		if !fi.Mode().IsRegular() {
			t.Errorf("%s: host file %s is not a regular file", g, h)
		}
	}
	if len(files) < 3 {
		t.Errorf("HostBinary(%s) = %v; want the program, libc and the interpreter at least", sh, files)
	}

	if _, err := HostBinary("ip"); err == nil {
		t.Error("HostBinary accepted a relative path")
	}
	if _, err := HostBinary("/nonexistent/prog"); err == nil {
		t.Error("HostBinary accepted a missing file")
	}
}

func TestHostBinaryStatic(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	// The test binary is static when built with CGO_ENABLED=0 (make unit
	// builds it with cgo for -race, so it may be dynamic: then skip).
	files, err := HostBinary(exe)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		if _, err := exec.LookPath("ldd"); err != nil {
			t.Skip("dynamic test binary and no ldd")
		}
		t.Skipf("the test binary is dynamic (%d files)", len(files))
	}
	if _, ok := files[exe]; !ok {
		t.Errorf("HostBinary(%s) = %v", exe, files)
	}
}
